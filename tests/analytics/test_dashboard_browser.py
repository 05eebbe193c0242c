"""The staff overview dashboard and the customer's tariff advice in a real Chromium: the analyst signs
in to the admin console, opens staff/analytics/, sees the four Chart.js charts drawn from the same
figures as the tables, downloads a table as CSV; a customer sees the hourly tariff comparison chart."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone

from security import roles
from tests.analytics.test_dashboard import bill, pay
from tests.analytics.test_tariffadvice import daily_usage, on_tariff
from tests.factories import bind, make_account, make_area, make_meter, make_portal_user, make_staff
from tests.support.browser import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def migration_data():
    """Transactional tests flush every table after them, the migration-seeded tariffs and the role
    groups included: put back what these tests use (both steps are idempotent)."""
    from billing.models import Tariff

    if not Tariff.objects.exists():
        importlib.import_module("billing.migrations.0006_seed_tariffs").seed(django_apps, None)
    grants = importlib.import_module("analytics.migrations.0002_dashboard_permissions")
    grants.forwards(django_apps, SimpleNamespace(connection=connection))


def drawn(page, key: str) -> list[int] | None:
    """Data points per dataset of the chart on a panel's canvas (None: nothing drawn)."""
    return page.evaluate(
        """(key) => {
            const canvas = document.querySelector(`#panel-${key} canvas`);
            const chart = canvas && window.Chart ? Chart.getChart(canvas) : undefined;
            return chart ? chart.data.datasets.map(d => d.data.filter(v => v !== null).length) : null;
        }""",
        key,
    )


def test_analyst_reads_the_dashboard_and_downloads_a_table(live_server, browser_page, results_dir):
    area = make_area(code="E2E-A1")
    home, shop = make_account(area=area), make_account(area=area, category="commercial")
    pay(bill(home, "2026-09", "100", "50.00", "paid", "2026-10-16"), "50.00", "2026-10-10T09:00")
    bill(shop, "2026-09", "1000", "900.00", "issued", "2026-10-16")
    bill(shop, "2026-10", "800", "700.00", "issued", "2026-11-16")
    analyst = make_staff(role=roles.MARKETING_ANALYST)
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # the admin console has no favicon; everything the page itself loads (Chart.js, our script) must load
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)

    page.goto(live_server.url + "/staff/analytics/?month_from=2026-09&month_to=2026-11&as_of=2026-12-01")
    page.locator("#id_username").fill(analyst.username)
    page.locator("#id_password").fill("Staff-pa55!")
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/staff/analytics/**")
    page.wait_for_function(
        "() => window.Chart && document.querySelectorAll('canvas[data-chart-payload]').length === 4 && [...document.querySelectorAll('canvas[data-chart-payload]')].every(c => Chart.getChart(c))"
    )
    page.screenshot(path=results_dir / "dashboard.png", full_page=True)

    # sales (by the month a bill's period starts): one dataset per category; collection (by the month a
    # bill was issued, the 2nd of the next month): billed, collected, rate for October and November
    assert drawn(page, "sales") == [2, 1]  # commercial Sep + Oct, residential Sep
    assert drawn(page, "collection") == [2, 2, 2]
    assert drawn(page, "arrears-category") == [1, 1, 1, 1]  # only the shop owes: one bar per bucket
    assert drawn(page, "arrears-areas") == [1]
    rate = page.evaluate(
        "() => Chart.getChart(document.querySelector('#panel-collection canvas')).data.datasets[2].data"
    )
    assert rate == [pytest.approx(5.3), 0]  # issued Oct: 50 of 50 + 900 = 950.00; issued Nov: 0 of 700.00
    assert errors == []

    with page.expect_download() as download_info:
        page.locator('#panel-collection a[data-export="csv"]').click()
    download = download_info.value
    assert download.suggested_filename == "collection-202609-202611.csv"
    lines = download.path().read_text(encoding="utf-8-sig").splitlines()
    assert lines[1:] == ["2026-10,950.00,50.00,900.00,5.3", "2026-11,700.00,0.00,700.00,0.0"]


def test_customer_sees_the_hourly_tariff_comparison(live_server, browser_page, results_dir):
    customer = make_portal_user(phone="13912340066", password="Dianli-2024!advice")
    account = make_account()
    bind(user=customer, account=account)
    on_tariff(account, "ZJ-RES-FLAT")
    meter = make_meter(account=account, meter_no="E2E-ADV", interval_minutes=60)
    today = timezone.localdate()
    first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)  # last month: inside the window
    daily_usage(meter, first=first, last=today.replace(day=1) - dt.timedelta(days=1), valley="5", peak="2")
    page = browser_page
    page.set_viewport_size(PHONE)

    page.goto(live_server.url + "/login/")
    page.get_by_label("手机号").fill("13912340066")
    page.get_by_label("密码").fill("Dianli-2024!advice")
    page.get_by_label("密码").press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(live_server.url + "/tariff-advice/")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart-payload]'))")
    page.screenshot(path=results_dir / "tariff-advice.png", full_page=True)

    labels = page.evaluate("() => Chart.getChart(document.querySelector('canvas[data-chart-payload]')).data.labels")
    assert len(labels) == 24 and labels[3] == "03:00"
    assert page.locator('[data-advice="switch"]').get_attribute("data-best") == "ZJ-RES-TOU"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
