"""The usage page (用电分析) in a real Chromium: a customer whose account has a year and a half of hourly
history on an old meter and a few days of 15-minute readings on its replacement (ingested through the
pipeline, with a gap the estimator fills) sees the four Chart.js charts, picks another day, and the
page fits a 390px phone in both languages."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

import pytest

from billing.models import IngestBatch, IntervalReading, Meter, Quality, RegisterRead
from billing.services.ingest import create_batch, process_batch
from tests.factories import SHANGHAI, bind, make_account, make_meter, make_portal_user
from tests.support.browser import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_NUMBER = "13912340001"
PASSWORD = "Dianli-2024!usage"
CHARTS = ["chart-day", "chart-month", "chart-year", "chart-tou"]
EXCHANGE = dt.datetime(2026, 11, 1, tzinfo=SHANGHAI)


def residential_kw(hour: float, *, day: int = 0) -> float:
    """A household's demand in kW: a night base, a morning bump and the evening peak (18:00–22:00)."""
    morning = 0.5 * math.exp(-(((hour - 7.5) / 1.0) ** 2))
    evening = 1.4 * math.exp(-(((hour - 20.0) / 1.6) ** 2))
    return 0.25 + morning + evening + 0.05 * (day % 3)


def seed_history(account) -> Meter:
    """The old meter: hourly readings from January 2025 to its removal at the exchange on 1 Nov 2026,
    higher in summer (air conditioning) and winter (heating)."""
    old = make_meter(
        account=account,
        meter_no="E2E-OLD",
        interval_minutes=60,
        installed_at=dt.datetime(2025, 1, 1, tzinfo=SHANGHAI),
        removed_at=EXCHANGE,
    )
    rows, moment = [], dt.datetime(2025, 1, 1, tzinfo=SHANGHAI)
    while moment < EXCHANGE:
        season = 1 + 0.45 * math.cos(2 * math.pi * (moment.month - 7.5) / 6)
        kwh = residential_kw(moment.hour + 0.5, day=moment.day) * season
        rows.append(IntervalReading(meter=old, interval_start=moment, kwh=Decimal(f"{kwh:.4f}")))
        moment += dt.timedelta(hours=1)
    IntervalReading.objects.bulk_create(rows, batch_size=5000)
    return old


def ingest_new_meter(account, tmp_path) -> Meter:
    """The new meter: 15-minute readings 1–3 Nov 2026 through the ingestion pipeline; 10:00–10:45 on
    3 Nov is missing, so the estimator fills it (ESTIMATED) by interpolation."""
    new = make_meter(account=account, meter_no="E2E-NEW", installed_at=EXCHANGE)
    lines = ["meter_no,timestamp,kwh"]
    for day in (1, 2, 3):
        for slot in range(96):
            start = dt.datetime(2026, 11, day, tzinfo=SHANGHAI) + dt.timedelta(minutes=15 * slot)
            if day == 3 and 40 <= slot < 44:
                continue
            kwh = residential_kw(slot / 4 + 0.125, day=day) / 4
            lines.append(f"E2E-NEW,{start.isoformat()},{kwh:.4f}")
    path = tmp_path / "new-meter.csv"
    path.write_text("\n".join(lines) + "\n")
    batch = create_batch(
        source=IngestBatch.Source.COMMAND,
        path=path,
        filename=path.name,
        as_of=dt.datetime(2026, 11, 4, 12, tzinfo=SHANGHAI),
    )
    assert process_batch(batch_id=batch.pk).estimated == 4
    # Daily frozen register reads (00:00) with TOU registers, for the TOU split of November.
    for day, (sharp, peak, flat, valley) in enumerate([(0, 0, 0, 0), (2.1, 6.3, 5.2, 3.0), (4.0, 12.9, 10.1, 6.2)]):
        RegisterRead.objects.create(
            meter=new,
            read_at=dt.datetime(2026, 11, day + 1, tzinfo=SHANGHAI),
            total=Decimal(f"{sharp + peak + flat + valley:.2f}"),
            sharp=Decimal(f"{sharp:.2f}"),
            peak=Decimal(f"{peak:.2f}"),
            flat=Decimal(f"{flat:.2f}"),
            valley=Decimal(f"{valley:.2f}"),
        )
    return new


def chart_points(page) -> dict[str, list[int] | None]:
    """For each canvas, the number of data points per dataset Chart.js is drawing (None: no chart)."""
    return page.evaluate(
        """(ids) => Object.fromEntries(ids.map((id) => {
            const canvas = document.getElementById(id);
            const chart = canvas && window.Chart ? Chart.getChart(canvas) : undefined;
            return [id, chart ? chart.data.datasets.map((d) => d.data.length) : null];
        }))""",
        CHARTS,
    )


def wait_for_charts(page, ids: list[str] = CHARTS) -> None:
    page.wait_for_function(
        "(ids) => window.Chart && ids.every((id) => Chart.getChart(document.getElementById(id)))", arg=ids
    )


def test_customer_sees_the_usage_charts_and_picks_another_day(live_server, browser_page, results_dir, tmp_path):
    from playwright.sync_api import expect

    page = browser_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.emulate_media(reduced_motion="reduce")  # usage.js then draws without animation: stable screenshots
    user = make_portal_user(phone=PHONE_NUMBER, password=PASSWORD)
    account = make_account(number="3301029001")
    bind(user=user, account=account)
    seed_history(account)
    ingest_new_meter(account, tmp_path)
    assert IntervalReading.objects.filter(quality=Quality.ESTIMATED).count() == 4

    page.goto(live_server.url + "/login/")
    page.get_by_label("手机号").fill(PHONE_NUMBER)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="用电分析").click()
    expect(page).to_have_url(re.compile(r"/usage/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("用电分析")
    wait_for_charts(page)

    # Defaults: the latest day with data (3 Nov, 96 slots), November (30 days), 2026 beside 2025, 4 TOU periods.
    assert page.locator("#pick-day").input_value() == "2026-11-03"
    assert chart_points(page) == {"chart-day": [96], "chart-month": [30], "chart-year": [12, 12], "chart-tou": [4]}
    day = page.evaluate(
        """() => { const c = Chart.getChart(document.getElementById('chart-day'));
                   const ds = c.data.datasets[0];
                   return {styles: ds.pointStyle, first: ds.data[0], estimated: ds.data.slice(40, 44)}; }"""
    )
    # Slots 40–43 (10:00–10:45) were estimated: drawn as triangles, everything else as plain points.
    assert [i for i, style in enumerate(day["styles"]) if style == "triangle"] == [40, 41, 42, 43]
    assert day["first"] == pytest.approx(residential_kw(0.125, day=3) / 4, abs=1e-4)
    assert all(v is not None and v > 0 for v in day["estimated"])
    year = page.evaluate(
        "() => Chart.getChart(document.getElementById('chart-year')).data.datasets.map((d) => d.data.filter((v) => v !== null).length)"
    )
    assert year == [11, 12]  # January–November 2026 (December has not come yet) beside all of 2025
    expect(page.locator("#usage-day .badge")).to_have_count(4)  # "估算" in the data table
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    page.screenshot(path=results_dir / "usage-zh-desktop.png", full_page=True)

    # Pick another day: 1 Nov, the first day on the new meter.
    page.locator("#pick-day").fill("2026-11-01")
    page.locator("#usage-day").get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(r"day=2026-11-01"))
    wait_for_charts(page)
    assert page.locator("#pick-day").input_value() == "2026-11-01"
    styles = page.evaluate("() => Chart.getChart(document.getElementById('chart-day')).data.datasets[0].pointStyle")
    assert "triangle" not in styles and len(styles) == 96
    # The day before is on the old, hourly meter: 24 points. "Previous day" gets there.
    page.locator("#usage-day [data-step=prev]").click()
    expect(page).to_have_url(re.compile(r"day=2026-10-31"))
    wait_for_charts(page)
    assert chart_points(page)["chart-day"] == [24]

    # The month picker loads as soon as a month is chosen.
    with page.expect_navigation():
        page.locator("#pick-month").select_option("2026-08")
    wait_for_charts(page, CHARTS[:3])
    assert chart_points(page) == {"chart-day": [24], "chart-month": [31], "chart-year": [12, 12], "chart-tou": None}
    expect(page.locator("#usage-tou [data-empty=tou]")).to_be_visible()  # no register reads in August

    # A phone: no sideways scrolling, charts still drawn.
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/usage/")
    wait_for_charts(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("#chart-day").bounding_box()["width"] <= PHONE["width"]
    page.screenshot(path=results_dir / "usage-zh-phone.png", full_page=True)
    page.locator("#usage-day details summary").click()
    expect(page.locator("#usage-day table")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=results_dir / "usage-zh-phone-table.png", full_page=False)

    # English through the header switch.
    page.set_viewport_size(DESKTOP)
    page.locator("header .lang-switch").get_by_role("button", name="EN").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Usage analysis")
    wait_for_charts(page)
    labels = page.evaluate("() => Chart.getChart(document.getElementById('chart-tou')).data.labels")
    assert labels == ["Sharp peak", "Peak", "Flat", "Valley"]
    page.screenshot(path=results_dir / "usage-en-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    wait_for_charts(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=results_dir / "usage-en-phone.png", full_page=True)
    assert errors == []


def test_empty_states_in_the_browser(live_server, browser_page, results_dir):
    from playwright.sync_api import expect

    page = browser_page
    user = make_portal_user(phone=PHONE_NUMBER, password=PASSWORD)
    bind(user=user, account=make_account(number="3301029002"))

    page.goto(live_server.url + "/login/")
    page.get_by_label("手机号").fill(PHONE_NUMBER)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.goto(live_server.url + "/usage/")
    expect(page.locator("[data-empty=no-meter]")).to_be_visible()
    assert page.locator("canvas").count() == 0
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=results_dir / "usage-no-meter-phone.png", full_page=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_header_still_fits_with_the_usage_entry(live_server, browser_page, results_dir, language):
    """ "Usage" made the customer navigation five entries long: at every desktop width the entries and
    "Log out" stay on one line, nothing overflows, and at full width the brand is not cut short."""
    page = browser_page
    make_portal_user(phone=PHONE_NUMBER, password=PASSWORD)
    page.goto(live_server.url + "/login/")
    if language == "en":
        with page.expect_navigation():
            page.locator("#footer-language").select_option("en")
    page.locator("#id_username").fill(PHONE_NUMBER)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_url(live_server.url + "/")
    for width in (900, 1024, 1199, 1200, 1280):
        page.set_viewport_size({"width": width, "height": 700})
        page.goto(live_server.url + "/usage/")
        layout = page.evaluate(
            """() => {
                const row = document.querySelector('.header-row');
                const brand = document.querySelector('.brand-name');
                const single = (el) => el.getBoundingClientRect().height <= 48;
                return {
                    overflow: row.scrollWidth > row.clientWidth,
                    navSingleLine: [...document.querySelectorAll('.main-nav a')].every(single),
                    logoutSingleLine: single(document.querySelector('.header-btn')),
                    brandCut: brand.scrollWidth > brand.clientWidth,
                    brandNeed: brand.scrollWidth - brand.clientWidth,
                    pageWidth: document.documentElement.scrollWidth,
                };
            }"""
        )
        page.screenshot(
            path=results_dir / f"header-{language}-{width}.png", clip={"x": 0, "y": 0, "width": width, "height": 80}
        )
        assert not layout["overflow"] and layout["navSingleLine"] and layout["logoutSingleLine"], (width, layout)
        assert layout["pageWidth"] <= width
        if width >= 1024:
            assert not layout["brandCut"], (width, layout["brandNeed"])
