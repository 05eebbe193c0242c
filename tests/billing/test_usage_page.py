"""The business hall's usage page (/usage/): the numbers in each chart's json_script payload and in the
data tables, meter exchanges, empty states, who may see what, and English."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import IntervalReading, Quality, RegisterRead
from customers.access import CURRENT_ACCOUNT_SESSION_KEY as SESSION_KEY
from security import roles
from tests.factories import SHANGHAI, bind, make_account, make_meter, make_portal_user, make_staff

pytestmark = pytest.mark.django_db

URL = "/usage/"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def add_intervals(meter, start: dt.datetime, values: list[str | None], qualities: dict[int, int] | None = None):
    """Readings every ``meter.interval_minutes`` from ``start``; None leaves that slot without a reading."""
    step = dt.timedelta(minutes=meter.interval_minutes)
    IntervalReading.objects.bulk_create(
        IntervalReading(
            meter=meter,
            interval_start=start + i * step,
            kwh=Decimal(value),
            quality=(qualities or {}).get(i, Quality.ACTUAL),
        )
        for i, value in enumerate(values)
        if value is not None
    )


def add_read(meter, when: str, total: str, sharp=None, peak=None, flat=None, valley=None) -> None:
    as_decimal = lambda v: None if v is None else Decimal(v)  # noqa: E731
    RegisterRead.objects.create(
        meter=meter,
        read_at=at(when),
        total=Decimal(total),
        sharp=as_decimal(sharp),
        peak=as_decimal(peak),
        flat=as_decimal(flat),
        valley=as_decimal(valley),
    )


def payload(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no json_script #{element_id}"
    return json.loads(match.group(1))


def table_rows(html: str, section_id: str) -> list[list[str]]:
    """The data table of one section as text cells (header cell first)."""
    section = re.search(rf'<section[^>]*id="{section_id}".*?</section>', html, re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", section, re.S).group(1)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


@pytest.fixture
def customer():
    return make_portal_user()


@pytest.fixture
def home(customer):
    """A bound account with meter M2 (multiplier 2) and known data:

    * 1 Nov 2026: 96 intervals of 0.125 kWh → 96 × 0.125 × 2 = 24.00 kWh
    * 2 Nov 2026: 0.25 kWh in slots 0–94, slot 40 (10:00) estimated, slot 95 (23:45) missing
      → 95 × 0.25 × 2 = 47.50 kWh
    * 1 Nov 2025: 4 intervals of 1 kWh → 4 × 1 × 2 = 8.00 kWh (last year)
    * register reads on 1 Oct and 1 Nov 2026 (for the October TOU split)
    """
    account = make_account()
    bind(user=customer, account=account)
    meter = make_meter(account=account, meter_no="M2", multiplier=Decimal("2"), installed_at=at("2025-01-01 00:00"))
    add_intervals(meter, at("2026-11-01 00:00"), ["0.125"] * 96)
    add_intervals(meter, at("2026-11-02 00:00"), ["0.25"] * 95 + [None], {40: Quality.ESTIMATED})
    add_intervals(meter, at("2025-11-01 08:00"), ["1"] * 4)
    add_read(meter, "2026-10-01 00:00", "1000.00", "100.00", "300.00", "400.00", "200.00")
    add_read(meter, "2026-11-01 00:00", "1100.00", "110.00", "340.00", "430.00", "220.00")
    return account


def get_page(client, user, **params):
    client.force_login(user, backend="security.backends.PhoneOrUsernameBackend")
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


# --- the four sections with known data -------------------------------------------------------------------


def test_daily_curve_defaults_to_the_latest_day_and_marks_estimates(client, customer, home):
    html = get_page(client, customer)

    day = payload(html, "usage-day-data")
    assert len(day["labels"]) == len(day["values"]) == len(day["quality"]) == 96
    assert (day["labels"][0], day["labels"][40], day["labels"][95]) == ("00:00", "10:00", "23:45")
    assert day["values"][0] == "0.5000"  # 0.25 kWh × multiplier 2
    assert (day["values"][40], day["quality"][40]) == ("0.5000", "estimated")
    assert (day["values"][95], day["quality"][95]) == (None, None)  # a gap, not a zero
    assert day["quality"].count("estimated") == 1 and day["quality"].count("actual") == 94
    assert 'value="2026-11-02"' in html  # the day picker shows the latest day with data
    assert 'data-stat="day-total">47.50<' in html  # 95 × 0.25 × 2
    rows = table_rows(html, "usage-day")
    assert rows[0] == ["00:00", "0.500", "实抄"]
    assert rows[40] == ["10:00", "0.500", "估算"]
    assert rows[95] == ["23:45", "–", "无读数"]
    assert "三角形表示估算值。" in html and "曲线中断处表示无读数。" in html


def test_a_chosen_day(client, customer, home):
    html = get_page(client, customer, day="2026-11-01")

    day = payload(html, "usage-day-data")
    assert set(day["values"]) == {"0.2500"}  # 0.125 × 2 in all 96 slots
    assert "三角形表示估算值" not in html and "曲线中断" not in html  # a complete, measured day needs no key
    assert 'data-stat="day-total">24.00<' in html  # 96 × 0.125 × 2
    # Previous/next day keep the other pickers' choices.
    assert 'href="?day=2026-10-31&amp;month=2026-11&amp;year=2026#usage-day"' in html
    assert 'href="?day=2026-11-02&amp;month=2026-11&amp;year=2026#usage-day"' in html
    latest = get_page(client, customer, day="2026-11-02")
    assert 'data-step="next"' not in latest  # nothing after the latest day with data


def test_daily_totals_for_the_month(client, customer, home):
    html = get_page(client, customer)

    month = payload(html, "usage-month-data")
    assert month["labels"] == [str(d) for d in range(1, 31)]  # November has 30 days
    assert month["values"][:3] == ["24.0000", "47.5000", None]
    assert month["values"][2:] == [None] * 28
    assert month["estimated"][:3] == [False, True, False]
    assert month["titles"][1] == "11月2日（星期一）"
    assert 'data-stat="month-total">71.50<' in html  # 24.00 + 47.50
    rows = table_rows(html, "usage-month")
    assert rows[0][1:] == ["24.00", ""]
    assert rows[1][1:] == ["47.50", "1 个估算点"]
    assert rows[2][1:] == ["–", "无读数"]


def test_monthly_totals_with_last_year_beside(client, customer, home):
    # 20 Nov 2025 lies after 2 Nov (the latest day with data this year): it counts in last November's
    # bar but not in the year-to-date comparison, which covers the same calendar days in both years.
    add_intervals(home.meters.get(), at("2025-11-20 08:00"), ["0.5"] * 2)

    html = get_page(client, customer)

    year = payload(html, "usage-year-data")
    assert year["labels"][0] == "1月" and year["labels"][10] == "11月"
    this_year, last_year = year["datasets"]
    assert (this_year["label"], last_year["label"]) == ("2026", "2025")
    assert this_year["values"][10] == "71.5000" and this_year["values"].count(None) == 11
    assert last_year["values"][10] == "10.0000" and last_year["values"].count(None) == 11  # 4 × 1 × 2 + 2 × 0.5 × 2
    assert table_rows(html, "usage-year")[10] == ["11月", "71.50", "10.00"]
    # 1 Jan – 2 Nov 2026: 71.50 kWh; 1 Jan – 2 Nov 2025: 8.00 kWh → (71.50 − 8.00) / 8.00 = +793.75 % → +793.8 %.
    assert "2026年1月1日至11月2日" in html
    assert 'data-stat="year-total">71.50<' in html
    assert 'data-stat="year-change">+793.8%<' in html


def test_tou_split_from_register_differences(client, customer, home):
    html = get_page(client, customer, month="2026-10")

    tou = payload(html, "usage-tou-data")
    # (110−100, 340−300, 430−400, 220−200) × multiplier 2 = 20, 80, 60, 40 kWh.
    assert tou["keys"] == ["sharp", "peak", "flat", "valley"]
    assert tou["labels"] == ["尖峰", "高峰", "平段", "低谷"]
    assert tou["values"] == ["20.0000", "80.0000", "60.0000", "40.0000"]
    assert 'data-stat="tou-total">200.00<' in html
    assert table_rows(html, "usage-tou") == [
        ["尖峰", "20.00", "10.0%"],
        ["高峰", "80.00", "40.0%"],
        ["平段", "60.00", "30.0%"],
        ["低谷", "40.00", "20.0%"],
    ]
    # October has register reads but no interval data: the month chart says so instead of drawing zeros.
    assert 'data-empty="month"' in html and 'id="usage-month-data"' not in html


def test_tou_split_is_month_to_date_while_the_next_months_read_is_missing(client, customer, home):
    meter = home.meters.get()
    add_read(meter, "2026-11-02 00:00", "1105.00", "110.00", "341.00", "432.00", "222.00")

    html = get_page(client, customer, month="2026-11")

    # From the 1 Nov read to the latest November read (2 Nov): (0, 1, 2, 2) × 2.
    assert payload(html, "usage-tou-data")["values"] == ["0.0000", "2.0000", "4.0000", "4.0000"]
    assert "本月截至" in html


# --- meter exchanges ------------------------------------------------------------------------------------


def test_an_exchanged_meter_is_summed_with_its_successor(client, customer):
    account = make_account()
    bind(user=customer, account=account)
    old = make_meter(account=account, meter_no="OLD", multiplier=Decimal("1"), removed_at=at("2026-11-02 12:00"))
    new = make_meter(account=account, meter_no="NEW", multiplier=Decimal("3"), installed_at=at("2026-11-02 12:00"))
    add_intervals(old, at("2026-11-02 00:00"), ["0.5"] * 48)  # 00:00–11:45 on the old meter
    add_intervals(new, at("2026-11-02 12:00"), ["0.1"] * 48)  # 12:00–23:45 on the new one
    add_read(old, "2026-11-01 00:00", "500.00", "50.00", "150.00", "200.00", "100.00")
    add_read(old, "2026-11-02 12:00", "510.00", "51.00", "153.00", "204.00", "102.00")  # final read
    add_read(new, "2026-11-02 12:00", "0.00", "0.00", "0.00", "0.00", "0.00")
    add_read(new, "2026-12-01 00:00", "20.00", "2.00", "6.00", "8.00", "4.00")

    html = get_page(client, customer)

    day = payload(html, "usage-day-data")
    assert day["values"][0] == "0.5000" and day["values"][48] == "0.3000"  # 0.5 × 1, then 0.1 × 3
    assert 'data-stat="day-total">38.40<' in html  # 48 × 0.5 × 1 + 48 × 0.1 × 3 = 24.00 + 14.40
    # TOU: old meter (1, 3, 4, 2) × 1 + new meter (2, 6, 8, 4) × 3 = (7, 21, 28, 14).
    assert payload(html, "usage-tou-data")["values"] == ["7.0000", "21.0000", "28.0000", "14.0000"]
    assert 'data-stat="tou-total">70.00<' in html
    assert "OLD" in html and "NEW" in html and "倍率 ×3" in html


# --- whose account ----------------------------------------------------------------------------------------


def test_the_switchers_account_is_shown(client, customer, home):
    second = make_account()
    bind(user=customer, account=second)
    make_meter(account=second, meter_no="M3")
    client.force_login(customer, backend="security.backends.PhoneOrUsernameBackend")
    client.post(reverse("hall:switch_account"), {"account_number": second.number, "next": URL})

    html = client.get(URL).content.decode()

    assert second.number in html and 'data-empty="no-data"' in html
    assert "usage-day-data" not in html


def test_another_customers_account_cannot_be_shown_by_tampering_with_the_session(client, customer, home):
    stranger = make_account()
    make_meter(account=stranger, meter_no="SECRET")
    add_intervals(stranger.meters.get(), at("2026-11-02 00:00"), ["9.99"] * 4)
    client.force_login(customer, backend="security.backends.PhoneOrUsernameBackend")
    session = client.session
    session[SESSION_KEY] = stranger.number
    session.save()

    html = client.get(URL).content.decode()

    # The session names an account the user may not reach: the page falls back to their own.
    assert home.number in html and stranger.number not in html
    assert "SECRET" not in html and "19.98" not in html
    assert 'data-stat="day-total">47.50<' in html
    # The switcher refuses it too.
    assert client.post(reverse("hall:switch_account"), {"account_number": stranger.number}).status_code == 404


def test_query_parameters_cannot_name_an_account_or_meter(client, customer, home):
    stranger = make_account()
    make_meter(account=stranger, meter_no="SECRET")
    html = get_page(client, customer, account=stranger.number, meter="SECRET")
    assert f'<span class="mono">{home.number}</span>' in html
    assert f'<span class="mono">{stranger.number}</span>' not in html and '<span class="mono">SECRET</span>' not in html
    assert 'data-stat="day-total">47.50<' in html


def test_staff_get_the_customers_only_page_and_visitors_the_login(client):
    staff = make_staff(role=roles.CUSTOMER_SERVICE_AGENT)
    client.force_login(staff)
    response = client.get(URL)
    assert response.status_code == 403
    assert "customers/not_customer.html" in [t.name for t in response.templates]

    client.logout()
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("hall:login"))


# --- empty states and bad picker values ------------------------------------------------------------------------


def test_no_account_bound(client, customer):
    html = get_page(client, customer)
    assert "尚未绑定户号" in html and reverse("hall:bind") in html
    assert "<canvas" not in html


def test_account_without_a_meter(client, customer):
    bind(user=customer, account=make_account())
    html = get_page(client, customer)
    assert 'data-empty="no-meter"' in html and "<canvas" not in html


def test_meter_without_readings(client, customer):
    account = make_account()
    bind(user=customer, account=account)
    make_meter(account=account)
    html = get_page(client, customer)
    assert 'data-empty="no-data"' in html and "<canvas" not in html


def test_a_day_without_readings_and_a_meter_without_tou_registers(client, customer):
    account = make_account()
    bind(user=customer, account=account)
    meter = make_meter(account=account, has_tou_registers=False)
    add_intervals(meter, at("2026-11-02 00:00"), ["0.25"] * 4)
    add_read(meter, "2026-11-01 00:00", "10.00")
    add_read(meter, "2026-11-02 00:00", "12.50")

    html = get_page(client, customer, day="2026-11-01")

    assert 'data-empty="day"' in html and "usage-day-data" not in html
    assert 'data-empty="tou-registers"' in html and "usage-tou-data" not in html
    assert "2.50 kWh" in html  # (12.50 − 10.00) × 1, the total the registers do give
    assert "usage-month-data" in html  # the month itself has data


def test_an_account_with_register_reads_only(client, customer):
    account = make_account()
    bind(user=customer, account=account)
    meter = make_meter(account=account)
    add_read(meter, "2026-10-01 00:00", "50.00", "5.00", "15.00", "20.00", "10.00")
    add_read(meter, "2026-11-01 00:00", "80.00", "8.00", "24.00", "32.00", "16.00")

    html = get_page(client, customer)

    # The read at 00:00 on 1 Nov closes October, so October is the default month: (3, 9, 12, 6) × 1.
    assert '<option value="2026-10" selected>' in html
    assert payload(html, "usage-tou-data")["values"] == ["3.0000", "9.0000", "12.0000", "6.0000"]
    assert 'data-empty="no-curve"' in html and 'id="pick-day"' not in html
    assert 'data-empty="month"' in html and 'data-empty="year"' in html


def test_bad_picker_values_fall_back_to_the_defaults_and_say_why(client, customer, home):
    html = get_page(client, customer, day="2026-02-30", month="2026-13", year="abc")

    assert 'value="2026-11-02"' in html  # latest day
    assert payload(html, "usage-month-data")["values"][1] == "47.5000"  # latest month
    assert payload(html, "usage-year-data")["datasets"][0]["label"] == "2026"
    assert html.count('class="field-errors"') == 3
    assert "输入整数。" in html and "请按 YYYY-MM 格式输入月份。" in html and "输入一个有效的日期。" in html


def test_dates_the_page_cannot_show_fall_back_to_the_defaults_and_say_why(client, customer, home):
    """Issue 13 finding 9: ?day=9999-12-31 was an OverflowError (the next-day link), a 500."""
    html = get_page(client, customer, day="9999-12-31", month="0001-01")

    assert 'value="2026-11-02"' in html  # latest day
    assert payload(html, "usage-month-data")["values"][1] == "47.5000"  # latest month
    assert html.count('class="field-errors"') == 2
    assert "年份必须在 1900 和 9998 之间。" in html and "请按 YYYY-MM 格式输入月份。" in html


def test_the_page_reads_in_a_fixed_number_of_queries(client, customer, home, django_assert_max_num_queries):
    client.force_login(customer, backend="security.backends.PhoneOrUsernameBackend")
    # Session, user, account, meters, data range (2), curve, days, months, year to date, TOU (meters +
    # their reads), the switcher (2) and the header's unread-messages badge (1): fifteen, however many
    # readings there are — grouping is in SQL.
    with django_assert_max_num_queries(15):
        assert client.get(URL, {"month": "2026-10"}).status_code == 200


# --- navigation and language ---------------------------------------------------------------------------------


def test_usage_is_in_the_customer_navigation(client, customer, home):
    dashboard = get_page(client, customer).replace("\n", "")
    assert 'href="/usage/" aria-current="page"' in dashboard and "用电分析" in dashboard
    client.force_login(customer, backend="security.backends.PhoneOrUsernameBackend")
    assert 'href="/usage/"' in client.get(reverse("hall:dashboard")).content.decode()


def test_english(client, customer, home):
    client.force_login(customer, backend="security.backends.PhoneOrUsernameBackend")
    client.post(reverse("set_language"), {"language": "en", "next": URL})

    html = client.get(URL, {"month": "2026-10"}).content.decode()

    assert 'lang="en"' in html
    for text in ("Usage analysis", "Daily load curve", "Daily totals", "Monthly totals", "Time-of-use split"):
        assert text in html
    assert "用电分析" not in html and "日负荷曲线" not in html
    assert payload(html, "usage-year-data")["labels"][:3] == ["Jan", "Feb", "Mar"]
    assert payload(html, "usage-tou-data")["labels"] == ["Sharp peak", "Peak", "Flat", "Valley"]
    assert payload(html, "usage-day-data")["qualityLabels"]["estimated"] == "Estimated"
    assert table_rows(html, "usage-day")[40] == ["10:00", "0.500", "Estimated"]
