"""Real-browser tests: Chromium driven through Playwright's sync API against pytest-django's live_server.

Artefacts (screenshots) go to ``test-results/e2e/<test name>/`` under the repository root; that
folder is git-ignored.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls
# made from test code (factories) as "async unsafe". The live server runs in its own thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests/support/browser.py → the repository
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium_browser(django_db_setup):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM

    # Once Playwright's event loop runs in this thread, Django's connection handler (an asgiref Local)
    # hands out new connection objects: the test database's serialized contents, kept on the old
    # ones, must move with them, or no later transactional test restores the migrations' rows.
    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium_browser):
    """A fresh browser profile (no cookies) per test, Chinese locale like a typical customer."""
    context = chromium_browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def results_dir(request) -> Path:
    """test-results/e2e/<test name>/ — kept after the run, unlike tmp_path."""
    path = REPO_ROOT / "test-results" / "e2e" / request.node.name
    path.mkdir(parents=True, exist_ok=True)
    return path
