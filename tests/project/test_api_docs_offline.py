"""The API docs page works offline: Swagger UI comes from our own static files (drf-spectacular-sidecar),
not a CDN, so an integrator on a closed network (or a browser under a strict CSP) still sees the operations."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders

from security import roles
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


def test_docs_page_loads_its_assets_from_our_static_files(client):
    client.force_login(make_staff(role=roles.SYSTEM_ADMINISTRATOR))
    html = client.get("/api/docs/").content.decode()

    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)
    assert any("swagger-ui-bundle" in asset for asset in assets), assets
    for asset in assets:
        parsed = urlparse(asset)
        assert not parsed.netloc, f"{asset} is loaded from another host"
        assert finders.find(parsed.path.removeprefix("/static/")), f"{asset} is not among our static files"


@pytest.mark.browser
def test_docs_page_renders_the_operations_with_the_network_cut_off(live_server, browser_page):
    page = browser_page
    foreign: list[str] = []

    def only_ours(route):
        if urlparse(route.request.url).netloc == urlparse(live_server.url).netloc:
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", only_ours)
    # A superuser needs no role group (a transactional test's flush may have emptied the seeded ones).
    get_user_model().objects.create_superuser(username="docs-reader", password="Pa55word!x-docs", email="")
    page.goto(f"{live_server.url}/admin/login/?next=/api/docs/")
    page.fill("#id_username", "docs-reader")
    page.fill("#id_password", "Pa55word!x-docs")
    page.click("input[type=submit]")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)

    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/bills" in path for path in paths), paths[:10]
    assert foreign == []
