"""A Content-Security-Policy on every page, and the pages pass it (no inline script or handler)."""
from __future__ import annotations

import re

import pytest

LOGIN = "/accounts/login/"


def _login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def _pages(network, study_page=True):
    return [f"/networks/{network.pk}/", f"/anm/networks/{network.pk}/", "/forecasting/", "/api/docs/",
            "/admin/", "/admin/grid/network/", f"/admin/grid/network/{network.pk}/change/"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_tasks")
def test_csp_header_on_every_page_and_no_inline_script(client, mv_network, admin_user, aggregator_a):
    def check(response, url):
        assert response.status_code in (200, 302, 429), (url, response.status_code)
        policy = response.headers.get("Content-Security-Policy", "")
        script_src = re.search(r"script-src ([^;]*)", policy).group(1)
        assert "'self'" in script_src and "unsafe-inline" not in script_src, url
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        if response.status_code == 200 and "text/html" in response.headers.get("Content-Type", ""):
            html = response.content.decode()
            assert not INLINE_SCRIPT.search(html.replace('type="application/json"', 'src=""')), url
            assert not INLINE_HANDLER.search(html), url

    check(client.get(LOGIN), LOGIN)
    client.force_login(admin_user)
    for url in ["/", *_pages(mv_network)]:
        check(client.get(url, follow=True), url)
    client.force_login(aggregator_a)
    check(client.get("/"), "/ (portal)")
    client.logout()
    for _ in range(6):
        response = _login(client, "adm", "wrong")
    check(response, "locked out")
