"""Tariff advice (/tariff-advice/ and analytics.services.tariffadvice), hand-computed.

Fixture: a residential account on ZJ-RES-FLAT with an hourly meter. Every day of February, March and
April 2026 it uses 30 kWh in the hour from 03:00 (valley on ZJ-RES-TOU) and 10 kWh from 12:00 (peak).
Advice as of 10 May 2026: window May 2025 – April 2026, three months with data.

            kWh: valley  peak  total   cumulative (tier year 2026)
  Feb (28 d)       840    280   1120   1120
  Mar (31 d)       930    310   1240   2360
  Apr (30 d)       900    300   1200   3560 → tier 2 (above 2,760): 3560 − 2760 = 800 kWh in April

ZJ-RES-FLAT (0.538; tier 2 +0.05):
  Feb 1120 × 0.538 = 602.56; Mar 1240 × 0.538 = 667.12; Apr 1200 × 0.538 = 645.60 + 800 × 0.05 = 40.00
  → 685.60; year 602.56 + 667.12 + 685.60 = 1955.28
ZJ-RES-TOU (peak 08–22 0.568, valley 0.288; same tiers):
  Feb 280 × 0.568 = 159.04 + 840 × 0.288 = 241.92 → 400.96
  Mar 310 × 0.568 = 176.08 + 930 × 0.288 = 267.84 → 443.92
  Apr 300 × 0.568 = 170.40 + 900 × 0.288 = 259.20 + 40.00 → 469.60
  year 400.96 + 443.92 + 469.60 = 1314.48; difference to FLAT 1314.48 − 1955.28 = −640.80
Hours: 03:00 2,670 kWh: FLAT 2670 × 0.538 = 1436.46, TOU 2670 × 0.288 = 768.96, difference −667.50;
       12:00 890 kWh: FLAT 890 × 0.538 = 478.82, TOU 890 × 0.568 = 505.52, difference +26.70;
       −667.50 + 26.70 = −640.80 (the tier surcharge is the same 40.00 on both).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from analytics.services.tariffadvice import tariff_advice
from analytics.views import hall_tariffadvice
from billing.models import Bill, IntervalReading, Tariff, TariffAssignment
from customers.access import CURRENT_ACCOUNT_SESSION_KEY as SESSION_KEY
from customers.models import Account
from security import roles
from tests.factories import SHANGHAI, bind, make_account, make_meter, make_portal_user, make_staff

pytestmark = pytest.mark.django_db

AS_OF = dt.datetime(2026, 5, 10, 9, tzinfo=SHANGHAI)
URL = "/tariff-advice/"


def daily_usage(meter, *, first: dt.date, last: dt.date, valley: str, peak: str) -> None:
    """``valley`` kWh in the hour from 03:00 and ``peak`` kWh from 12:00, every day first..last."""
    rows, day = [], first
    while day <= last:
        for hour, value in ((3, valley), (12, peak)):
            start = dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)
            rows.append(IntervalReading(meter=meter, interval_start=start, kwh=D(value)))
        day += dt.timedelta(days=1)
    IntervalReading.objects.bulk_create(rows)


def on_tariff(account, code: str) -> None:
    TariffAssignment.objects.create(
        account=account, tariff=Tariff.objects.get(code=code), valid_from=dt.date(2024, 1, 1)
    )


@pytest.fixture
def customer():
    return make_portal_user()


@pytest.fixture
def home(customer):
    account = make_account(number="3301030001")
    bind(user=customer, account=account)
    on_tariff(account, "ZJ-RES-FLAT")
    meter = make_meter(account=account, meter_no="TA1", interval_minutes=60)
    daily_usage(meter, first=dt.date(2026, 2, 1), last=dt.date(2026, 4, 30), valley="30", peak="10")
    return account


def test_advice_prices_each_month_on_both_residential_tariffs(home):
    advice = tariff_advice(account=home, as_of=AS_OF)

    assert (advice.window_start, advice.window_end) == (dt.date(2025, 5, 1), dt.date(2026, 5, 1))
    assert advice.months_used == (dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    assert not advice.enough_data
    assert advice.resolution_minutes == 60  # both calendars switch on the hour
    assert advice.total_kwh == D("3560")
    assert advice.current.code == "ZJ-RES-FLAT"
    by_code = {o.tariff.code: o for o in advice.options}
    flat, tou = by_code["ZJ-RES-FLAT"], by_code["ZJ-RES-TOU"]
    assert [m.amount for m in flat.months] == [D("602.56"), D("667.12"), D("685.60")]
    assert [m.amount for m in tou.months] == [D("400.96"), D("443.92"), D("469.60")]
    assert [m.kwh for m in tou.months] == [D("1120"), D("1240"), D("1200")]
    assert (flat.total, tou.total) == (D("1955.28"), D("1314.48"))
    assert flat.is_current and not tou.is_current
    assert (flat.difference, tou.difference) == (D("0"), D("-640.80"))
    assert advice.options[0].tariff.code == "ZJ-RES-TOU"  # cheapest first
    assert advice.baseline.tariff.code == "ZJ-RES-FLAT" and advice.alternative.tariff.code == "ZJ-RES-TOU"
    assert advice.best.tariff.code == "ZJ-RES-TOU" and advice.saving == D("640.80")


def test_hours_show_the_valley_saving_and_the_peak_cost(home):
    hours = {h.hour: h for h in tariff_advice(account=home, as_of=AS_OF).hours}

    assert len(hours) == 24
    assert (hours[3].kwh, hours[3].baseline_cost, hours[3].alternative_cost) == (D("2670"), D("1436.46"), D("768.96"))
    assert hours[3].difference == D("-667.50")
    assert (hours[12].kwh, hours[12].baseline_cost, hours[12].alternative_cost) == (D("890"), D("478.82"), D("505.52"))
    assert hours[12].difference == D("26.70")
    assert all(h.kwh == 0 and h.difference == 0 for n, h in hours.items() if n not in (3, 12))
    assert sum(h.difference for h in hours.values()) == D("-640.80")


def test_tier_year_starts_from_the_years_bills_before_the_window(home):
    """As of 10 March 2027 the window is March 2026 – February 2027: March and April 2026 have data.
    February 2026 is before the window, but its issued bill (1,120 kWh) counts towards the 2026 tier
    year, as it would on the March bill: 1120 + 1240 = 2360, + 1200 = 3560 → 800 kWh of tier 2 in April.
    FLAT 667.12 + 685.60 = 1352.72; TOU 443.92 + 469.60 = 913.52. (Without the bill April would stay in
    tier 1: FLAT 645.60.)"""
    Bill.objects.create(
        account=home,
        period_start=dt.date(2026, 2, 1),
        period_end=dt.date(2026, 3, 1),
        status=Bill.Status.ISSUED,
        tariff=Tariff.objects.get(code="ZJ-RES-FLAT"),
        consumption_source="intervals",
        total_kwh=D("1120"),
        annual_kwh_before=D("0"),
        amount=D("602.56"),
    )
    advice = tariff_advice(account=home, as_of=dt.datetime(2027, 3, 10, tzinfo=SHANGHAI))
    assert advice.months_used == (dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    by_code = {o.tariff.code: o for o in advice.options}
    assert [m.amount for m in by_code["ZJ-RES-FLAT"].months] == [D("667.12"), D("685.60")]
    assert (by_code["ZJ-RES-FLAT"].total, by_code["ZJ-RES-TOU"].total) == (D("1352.72"), D("913.52"))


def test_no_readings_no_options():
    account = make_account()
    on_tariff(account, "ZJ-RES-TOU")
    advice = tariff_advice(account=account, as_of=AS_OF)
    assert advice.months_used == () and advice.options == () and advice.best is None and advice.saving == 0


# --- the page ---------------------------------------------------------------------------------------------


@pytest.fixture
def pinned(monkeypatch):
    monkeypatch.setattr(hall_tariffadvice, "hall_now", lambda: AS_OF)


def test_owner_sees_the_advice(client, customer, home, pinned):
    client.force_login(customer)
    response = client.get(URL)
    html = response.content.decode()

    assert response.status_code == 200
    assert response.context["account"] == home
    assert 'data-months-used="3"' in html and "data-partial-year" in html
    assert 'data-advice="switch" data-best="ZJ-RES-TOU" data-saving="640.80"' in html
    assert 'data-tariff="ZJ-RES-TOU" data-total="1314.48" data-difference="-640.80"' in html
    assert 'data-tariff="ZJ-RES-FLAT" data-total="1955.28" data-difference="0' in html
    assert 'data-hour="3" data-difference="-667.50"' in html
    assert 'id="advice-hours-data"' in html and "chart.umd.min.js" in html
    assert html.count('data-month="2026-') == 3


def test_another_customers_account_is_never_shown(client, customer, home, pinned):
    stranger_account = make_account(number="3301039999")
    bind(user=make_portal_user(), account=stranger_account)
    on_tariff(stranger_account, "ZJ-RES-TOU")
    meter = make_meter(account=stranger_account, meter_no="TS1", interval_minutes=60)
    daily_usage(meter, first=dt.date(2026, 4, 1), last=dt.date(2026, 4, 30), valley="1", peak="1")

    client.force_login(customer)
    session = client.session
    session[SESSION_KEY] = stranger_account.number  # a forged switcher selection
    session.save()
    response = client.get(URL)
    html = response.content.decode()

    assert response.context["account"] == home
    assert "3301039999" not in html
    assert 'data-months-used="3"' in html


def test_staff_are_sent_to_their_console_and_visitors_to_login(client, pinned):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    response = client.get(URL)
    assert response.status_code == 403
    assert "customers/not_customer.html" in [t.name for t in response.templates]

    client.logout()
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_customer_without_readings_is_told_so(client, customer, pinned):
    account = make_account()
    bind(user=customer, account=account)
    on_tariff(account, "ZJ-RES-FLAT")
    client.force_login(customer)
    html = client.get(URL).content.decode()
    assert 'data-empty="no-data"' in html


def test_bill_tabs_link_the_advice(client, customer, home, pinned):
    client.force_login(customer)
    html = client.get("/bills/quote/").content.decode()
    assert 'href="/tariff-advice/"' in html


def test_partial_months_are_named(client, customer, pinned):
    """A meter read from 15 February: February is priced on 14 of its 28 days, and the page says so."""
    account = make_account()
    bind(user=customer, account=account)
    on_tariff(account, "ZJ-RES-TOU")
    meter = make_meter(account=account, meter_no="TP1", interval_minutes=60)
    daily_usage(meter, first=dt.date(2026, 2, 15), last=dt.date(2026, 3, 31), valley="1", peak="1")

    advice = tariff_advice(account=account, as_of=AS_OF)
    assert [(c.month, c.days_with_data, c.days, c.complete) for c in advice.coverage] == [
        (dt.date(2026, 2, 1), 14, 28, False),
        (dt.date(2026, 3, 1), 31, 31, True),
    ]
    assert [c.month for c in advice.partial_months] == [dt.date(2026, 2, 1)]
    client.force_login(customer)
    html = client.get(URL).content.decode()
    assert 'data-partial-month="2026-02"' in html and 'data-partial-month="2026-03"' not in html
    assert 'data-advice="stay" data-best="ZJ-RES-TOU"' in html  # 14 + 31 days × (1 × 0.288 + 1 × 0.568) < 0.538 × 2


def test_a_category_with_one_tariff_has_nothing_to_compare(client, customer, pinned):
    """EX-COM-TOU is the only commercial tariff: priced, but no advice to switch."""
    shop = make_account(category=Account.Category.COMMERCIAL)
    bind(user=customer, account=shop)
    on_tariff(shop, "EX-COM-TOU")
    meter = make_meter(account=shop, meter_no="TC1", interval_minutes=60)
    daily_usage(meter, first=dt.date(2026, 4, 1), last=dt.date(2026, 4, 30), valley="10", peak="10")

    advice = tariff_advice(account=shop, as_of=AS_OF)
    # April, EX-COM-TOU: 03:00 valley 300 kWh × 0.30 = 90.00; 12:00 flat (11–13) 300 × 0.65 = 195.00 → 285.00
    assert [(o.tariff.code, o.total) for o in advice.options] == [("EX-COM-TOU", D("285.00"))]
    assert not advice.comparable and advice.alternative is None and advice.hours == ()
    client.force_login(customer)
    html = client.get(URL).content.decode()
    assert 'data-advice="only-one"' in html and 'data-tariff="EX-COM-TOU" data-total="285.00"' in html


def test_off_the_hour_calendar_is_read_per_interval(client):
    """Peak from 08:30 instead of 08:00: an hourly sum would price 08:00–09:00 all as valley, so the
    advice reads 15-minute intervals. Every April day: 08:00 and 08:15 2 kWh each (valley), 08:30 and
    08:45 2 kWh each (peak). TOU: 30 × 4 × 0.288 = 34.56 + 30 × 4 × 0.568 = 68.16 → 102.72
    (hourly it would be 240 × 0.288 = 69.12). FLAT: 240 × 0.538 = 129.12."""
    from billing.models import TouWindow

    TouWindow.objects.filter(calendar__code="RES-TOU", period="peak").update(start=dt.time(8, 30))
    account = make_account()
    on_tariff(account, "ZJ-RES-FLAT")
    meter = make_meter(account=account, meter_no="TQ1", interval_minutes=15)
    day, rows = dt.date(2026, 4, 1), []
    while day <= dt.date(2026, 4, 30):
        for minute in (0, 15, 30, 45):
            start = dt.datetime.combine(day, dt.time(8, minute), tzinfo=SHANGHAI)
            rows.append(IntervalReading(meter=meter, interval_start=start, kwh=D("2")))
        day += dt.timedelta(days=1)
    IntervalReading.objects.bulk_create(rows)

    advice = tariff_advice(account=account, as_of=AS_OF)
    assert advice.resolution_minutes == 15
    assert {o.tariff.code: o.total for o in advice.options} == {"ZJ-RES-TOU": D("102.72"), "ZJ-RES-FLAT": D("129.12")}
    (eight,) = [h for h in advice.hours if h.kwh]
    assert (eight.hour, eight.kwh, eight.alternative_cost, eight.baseline_cost) == (
        8,
        D("240"),
        D("102.72"),
        D("129.12"),
    )
