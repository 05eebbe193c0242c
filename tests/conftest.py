"""Shared test set-up: which real services this run has, and fixtures used across the suite.

Tests marked ``postgres``, ``redis``, ``celery_worker`` or ``browser`` need that resource. On a bare
machine they are skipped; with REQUIRE_SERVICES=1 (as in CI) a missing resource fails them instead.
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings

# Browser fixtures (Chromium through Playwright) and real Celery worker processes, for every app's tests.
pytest_plugins = ["tests.support.browser", "tests.support.workers"]

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = "/usr/bin/chromium"


def _available() -> dict[str, tuple[bool, str]]:
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    has_redis = bool(settings.REDIS_URL)
    try:
        import playwright.sync_api  # noqa: F401

        has_playwright = True
    except ImportError:
        has_playwright = False
    has_browser = has_playwright and shutil.which(CHROMIUM) is not None
    return {
        "postgres": (on_postgres, "PostgreSQL is not reachable (set DATABASE_URL or start it on 127.0.0.1:5432)"),
        "redis": (has_redis, "Redis is not reachable (set REDIS_URL or start it on 127.0.0.1:6379)"),
        "celery_worker": (has_redis and on_postgres, "a real worker needs Redis and PostgreSQL"),
        "browser": (has_browser, f"Chromium ({CHROMIUM}) and the playwright package are needed"),
    }


def pytest_runtest_setup(item: pytest.Item) -> None:
    available = _available()
    for marker in item.iter_markers():
        if marker.name in available:
            ok, reason = available[marker.name]
            if not ok:
                if REQUIRE_SERVICES:
                    pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
                pytest.skip(reason)


def pytest_report_header(config) -> list[str]:
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [f"database: {engine}; redis: {settings.REDIS_URL or 'none'}; require services: {REQUIRE_SERVICES}"]


@pytest.fixture(autouse=True)
def _calendar_without_database(request):
    """Tests without database access (pure computations) see the package calendar and no staff days."""
    uses_db = request.node.get_closest_marker("django_db") is not None or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    from core.calendar import forget_staff_days, pinned_staff_days

    if uses_db:
        # The staff days are cached per process; a test's rolled-back CalendarDay rows must not outlive it.
        forget_staff_days()
        yield
        forget_staff_days()
        return

    with pinned_staff_days({}):
        yield


@pytest.fixture(autouse=True)
def _isolated_cache_and_sms():
    """Each test starts with an empty cache (rate limits, OTPs) and an empty SMS outbox."""
    from django.core.cache import cache

    from customers.sms import LocmemSmsBackend

    cache.clear()
    LocmemSmsBackend.outbox.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _clear_unmanaged_tables_after_transactional_tests(request, django_db_blocker):
    """billing_intervalreading is unmanaged, so the flush after a transactional test leaves its rows;
    with meter ids reused by later tests they would turn up as someone else's readings."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (
        marker.kwargs.get("transaction")
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
    ):
        return
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM billing_intervalreading")


@pytest.fixture
def residential():
    """A residential account (8 kVA) with one meter R1 (multiplier 1) installed 1 Jan 2026."""
    from decimal import Decimal

    from customers.models import Account
    from tests.factories import make_account, make_meter

    account = make_account(category=Account.Category.RESIDENTIAL, contracted_kva=Decimal("8"))
    meter = make_meter(account=account, meter_no="R1")
    return account, meter


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Transactional tests (``transaction=True``, live_server, transactional_db) end with a flush that
    also empties what the data migrations seeded (staff role groups, permissions, tariffs, the service
    catalogue); with serialized rollback each one starts from that seeded content again, so no test
    depends on running before the first transactional test."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = set(getattr(item, "fixturenames", ()))
        transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
            {"transactional_db", "live_server"} & fixtures
        )
        if transactional:
            kwargs = {**(marker.kwargs if marker else {}), "transaction": True, "serialized_rollback": True}
            # prepended: get_closest_marker returns the item's first own marker, and a test decorated with
            # its own django_db(...) has that one first — appended, ours was ignored for exactly those
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After a transactional test's flush (its fixtures' teardown), put the migrations' rows back at
    once, so whatever runs next — a plain ``db`` test too, in any order, in any xdist worker — finds
    the database as migrated. (Serialized rollback alone restores only at the *next transactional*
    test's set-up; with pytest-xdist's file scheduling the next test is often a plain one.)"""
    yield
    if nextitem is None or not _is_transactional(item):
        return  # (after the last test the test database is already gone)
    from django.db import connections
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        for alias in connections:
            contents = getattr(connections[alias], "_test_serialized_contents", None)
            if contents:
                connections[alias].creation.deserialize_db_from_string(contents)
