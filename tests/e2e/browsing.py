"""What every browser test does the same way."""
from __future__ import annotations


def login(page, base: str, username: str, password: str = "pw") -> None:
    """Sign ``username`` in through the login form and wait for the signed-in navigation."""
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector(".mainnav")
