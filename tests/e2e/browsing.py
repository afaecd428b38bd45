"""What every browser test does the same way."""
from __future__ import annotations


def login(page, base: str, username: str, password: str = "pw") -> None:
    """Sign ``username`` in through the login form and wait for the signed-in navigation."""
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector(".mainnav")


def signed_in_page(browser, base: str, username: str, *, width: int = 1500, height: int = 950):
    """A new page signed in as ``username``, and the list that collects its uncaught script errors."""
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, username)
    return page, errors
