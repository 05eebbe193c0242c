"""Customer segments in a real Chromium: the staff page draws one centroid curve per segment for the
analyst, and the customer's comparison page draws their typical day against their segment's, on a
desktop and on a 390px phone, without script errors."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest

from analytics.models import AccountSegment
from analytics.services.segments import run_segmentation
from security import roles
from tests.factories import SHANGHAI, bind, make_portal_user, make_staff
from tests.segments_data import WINDOW, plant
from tests.support.browser import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_NUMBER = "13912340077"
PASSWORD = "Dianli-2024!segments"


@pytest.fixture
def run():
    # Transactional tests flush the database, role groups included: grant the segment permissions again.
    from django.apps import apps as django_apps
    from django.db import connection

    grants = importlib.import_module("analytics.migrations.0003_segments_permissions")
    grants.forwards(django_apps, SimpleNamespace(connection=connection))
    planted = plant(per_shape=5)
    segmentation = run_segmentation(
        window_start=WINDOW[0],
        window_end=WINDOW[1],
        day_type="weekday",
        as_of=dt.datetime(2026, 10, 20, tzinfo=SHANGHAI),
    )
    return planted, segmentation


def _points(page, selector: str) -> list[int]:
    page.wait_for_function(
        "(selector) => window.Chart && Chart.getChart(document.querySelector(selector)) !== undefined", arg=selector
    )
    return page.evaluate(
        "(selector) => Chart.getChart(document.querySelector(selector)).data.datasets.map(d => d.data.length)",
        selector,
    )


def test_analyst_sees_the_centroid_curves(live_server, browser_page, results_dir, run):
    _planted, segmentation = run
    page = browser_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    staff = make_staff(role=roles.MARKETING_ANALYST)
    page.goto(live_server.url + "/admin/login/?next=/staff/analytics/segments/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", "Staff-pa55!")
    page.locator("input[type=submit]").click()
    page.wait_for_url(live_server.url + "/staff/analytics/segments/")
    assert segmentation.k == 3
    assert _points(page, "canvas[data-segments-chart='weekday-centroids']") == [24, 24, 24]
    page.screenshot(path=str(results_dir / "staff-segments.png"), full_page=True)
    assert errors == []


def test_customer_sees_their_typical_day_beside_similar_accounts(live_server, browser_page, results_dir, run):
    planted, segmentation = run
    page = browser_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    user = make_portal_user(phone=PHONE_NUMBER, password=PASSWORD)
    mine = planted.accounts["evening"][1]
    bind(user=user, account=mine)
    page.goto(live_server.url + "/login/")
    page.get_by_label("手机号").fill(PHONE_NUMBER)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/usage/")
    page.locator("a[data-link='compare']").click()
    page.wait_for_url(live_server.url + "/usage/compare/")
    assert _points(page, "canvas[data-segments-chart='compare-profile-data']") == [24, 24]
    drawn = page.evaluate(
        "() => Chart.getChart(document.querySelector('canvas[data-segments-chart]')).data.datasets[0].data"
    )
    assert drawn == pytest.approx(AccountSegment.objects.get(run=segmentation, account=mine).profile)
    page.screenshot(path=str(results_dir / "compare-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    _points(page, "canvas[data-segments-chart='compare-profile-data']")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(results_dir / "compare-phone.png"), full_page=True)
    assert errors == []
