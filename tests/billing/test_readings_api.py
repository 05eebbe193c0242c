"""GET /api/v1/meters/{meter_no}/readings and /register-reads: results, Asia/Shanghai boundaries,
quality flags, pagination and every bad parameter. Who may read which meter: the integration test
tests/billing/test_readings_api_permissions.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from billing.models import IngestBatch, IntervalReading, Quality, RegisterRead
from billing.services.ingest import create_batch, process_batch
from tests.factories import SHANGHAI, bind, make_meter, make_portal_user

pytestmark = pytest.mark.django_db

A, E, X = Quality.ACTUAL, Quality.ESTIMATED, Quality.EDITED


def at(text: str) -> dt.datetime:
    """A local (Asia/Shanghai) time, e.g. at("2026-11-01 23:45")."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def add_intervals(meter, start: dt.datetime, values: list[str], qualities: list[int] | None = None) -> None:
    step = dt.timedelta(minutes=meter.interval_minutes)
    IntervalReading.objects.bulk_create(
        IntervalReading(
            meter=meter,
            interval_start=start + i * step,
            kwh=Decimal(value),
            quality=(qualities[i] if qualities else A),
        )
        for i, value in enumerate(values)
    )


@pytest.fixture
def meter():
    """Meter M2 with multiplier 2 on an account bound to the signed-in customer."""
    return make_meter(meter_no="M2", multiplier=Decimal("2"))


@pytest.fixture
def api(meter):
    user = make_portal_user()
    bind(user=user, account=meter.account)
    client = APIClient()
    client.force_authenticate(user)
    return client


def readings(api, meter_no="M2", **params):
    response = api.get(f"/api/v1/meters/{meter_no}/readings", params)
    assert response.status_code == 200, response.content
    return response.json()


# --- raw and grouped ---------------------------------------------------------------------------------


def test_raw_intervals_are_multiplied_and_carry_their_bounds(api, meter):
    add_intervals(meter, at("2026-11-01 00:00"), ["0.25", "0.25", "0.2501", "0.25"])

    body = readings(api, period_from="2026-11-01", period_to="2026-11-02")

    assert body["count"] == 4 and body["next"] is None and body["previous"] is None
    first = body["results"][0]
    # 0.25 kWh measured × multiplier 2 = 0.5 kWh on the primary side; never a float.
    assert first == {
        "interval_start": "2026-11-01T00:00:00+08:00",
        "interval_end": "2026-11-01T00:15:00+08:00",
        "consumption_kwh": "0.5000",
        "quality": "actual",
    }
    assert [r["consumption_kwh"] for r in body["results"]] == ["0.5000", "0.5000", "0.5002", "0.5000"]
    assert body["results"][-1]["interval_end"] == "2026-11-01T01:00:00+08:00"
    # An empty group_by is the same as leaving it out: raw intervals.
    assert readings(api, period_from="2026-11-01", period_to="2026-11-02", group_by="") == body


def test_hour_total_is_the_sum_of_its_intervals_times_the_multiplier(api, meter):
    add_intervals(meter, at("2026-11-01 00:00"), ["0.25"] * 4)

    body = readings(api, period_from="2026-11-01", period_to="2026-11-02", group_by="hour")

    # 4 intervals × 0.25 kWh × multiplier 2 = 2.00 kWh.
    assert body["results"] == [
        {
            "interval_start": "2026-11-01T00:00:00+08:00",
            "interval_end": "2026-11-01T01:00:00+08:00",
            "consumption_kwh": "2.0000",
            "quality": "actual",
            "intervals": 4,
            "estimated": 0,
            "edited": 0,
        }
    ]


def test_an_interval_at_23_45_local_belongs_to_that_local_day_not_the_utc_day(api, meter):
    # 23:45+08:00 on 1 Nov is 15:45 UTC on 1 Nov, and 00:00+08:00 on 2 Nov is 16:00 UTC on 1 Nov:
    # both on the same UTC day, but on two local days.
    add_intervals(meter, at("2026-11-01 23:45"), ["0.10", "0.30"])

    days = readings(api, period_from="2026-11-01", period_to="2026-11-03", group_by="day")["results"]

    assert [(d["interval_start"], d["interval_end"], d["consumption_kwh"]) for d in days] == [
        ("2026-11-01T00:00:00+08:00", "2026-11-02T00:00:00+08:00", "0.2000"),  # 0.10 × 2
        ("2026-11-02T00:00:00+08:00", "2026-11-03T00:00:00+08:00", "0.6000"),  # 0.30 × 2
    ]
    hours = readings(api, period_from="2026-11-01", period_to="2026-11-03", group_by="hour")["results"]
    assert [h["interval_start"] for h in hours] == ["2026-11-01T23:00:00+08:00", "2026-11-02T00:00:00+08:00"]


def test_month_boundary_follows_local_midnight(api, meter):
    # 31 Oct 23:45+08:00 is still October locally (15:45 UTC); 1 Nov 00:00+08:00 is 31 Oct 16:00 UTC.
    add_intervals(meter, at("2026-10-31 23:45"), ["1.00", "0.50"])

    months = readings(api, period_from="2026-10-01", period_to="2026-12-01", group_by="month")["results"]

    assert [(m["interval_start"], m["interval_end"], m["consumption_kwh"], m["intervals"]) for m in months] == [
        ("2026-10-01T00:00:00+08:00", "2026-11-01T00:00:00+08:00", "2.0000", 1),  # 1.00 × 2
        ("2026-11-01T00:00:00+08:00", "2026-12-01T00:00:00+08:00", "1.0000", 1),  # 0.50 × 2
    ]


def test_period_from_is_inclusive_and_period_to_exclusive(api, meter):
    add_intervals(meter, at("2026-11-01 00:00"), ["0.1", "0.2", "0.3", "0.4"])

    body = readings(api, period_from="2026-11-01T00:15:00+08:00", period_to="2026-11-01T00:45:00+08:00")

    assert [r["interval_start"] for r in body["results"]] == ["2026-11-01T00:15:00+08:00", "2026-11-01T00:30:00+08:00"]
    # The same instants in UTC, and an unencoded "+" that arrived as a space, mean the same.
    utc = readings(api, period_from="2026-10-31T16:15:00Z", period_to="2026-10-31T16:45:00Z")
    spaced = readings(api, period_from="2026-11-01T00:15:00 08:00", period_to="2026-11-01T00:45:00 08:00")
    assert utc["results"] == spaced["results"] == body["results"]


def test_grouped_quality_is_the_worst_in_the_group_with_counts(api, meter):
    # 00:00 hour: actual, estimated, edited, actual → estimated (not measured) is the worst.
    # 01:00 hour: actual, edited, actual, actual → edited.  02:00 hour: all actual.
    add_intervals(
        meter,
        at("2026-11-01 00:00"),
        ["0.25"] * 12,
        [A, E, X, A, A, X, A, A, A, A, A, A],
    )

    hours = readings(api, period_from="2026-11-01", period_to="2026-11-02", group_by="hour")["results"]

    assert [(h["quality"], h["intervals"], h["estimated"], h["edited"]) for h in hours] == [
        ("estimated", 4, 1, 1),
        ("edited", 4, 0, 1),
        ("actual", 4, 0, 0),
    ]
    raw = readings(api, period_from="2026-11-01", period_to="2026-11-01T01:00")["results"]
    assert [r["quality"] for r in raw] == ["actual", "estimated", "edited", "actual"]


def test_pagination_and_descending_order(api, meter):
    add_intervals(meter, at("2026-11-01 00:00"), ["0.1"] * 96)

    first = readings(api, period_from="2026-11-01", period_to="2026-11-02", page_size=50)
    assert first["count"] == 96 and len(first["results"]) == 50 and first["previous"] is None
    assert "page=2" in first["next"] and "page_size=50" in first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 46 and second["next"] is None
    assert second["results"][-1]["interval_start"] == "2026-11-01T23:45:00+08:00"

    newest_first = readings(api, period_from="2026-11-01", period_to="2026-11-02", order="desc", page_size=2)
    assert [r["interval_start"] for r in newest_first["results"]] == [
        "2026-11-01T23:45:00+08:00",
        "2026-11-01T23:30:00+08:00",
    ]
    days_desc = readings(api, period_from="2026-10-01", period_to="2026-12-01", group_by="day", order="desc")
    assert days_desc["count"] == 1 and days_desc["results"][0]["consumption_kwh"] == "19.2000"  # 96 × 0.1 × 2


def test_grouping_is_done_in_sql_with_a_fixed_number_of_queries(api, meter, django_assert_max_num_queries):
    add_intervals(meter, at("2026-10-01 00:00"), ["0.01"] * 96 * 31)  # 31 days of 96 intervals

    # Session/auth, the meter lookup, the page count and the page itself: no query per row or per day.
    with django_assert_max_num_queries(4):
        body = readings(api, period_from="2026-10-01", period_to="2026-11-01", group_by="day")
    assert body["count"] == 31
    assert {d["consumption_kwh"] for d in body["results"]} == {"1.9200"}  # 96 × 0.01 × 2


def test_an_empty_period_is_an_empty_page(api, meter):
    assert readings(api, period_from="2026-11-01", period_to="2026-11-02") == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_readings_ingested_from_a_wide_daily_file_read_back(api, meter, tmp_path):
    # A 96-point daily curve as the collection system exports it: 0.01, 0.02, … 0.96 kWh.
    values = [f"{(i + 1) / 100:.2f}" for i in range(96)]
    path = tmp_path / "curve.csv"
    path.write_text("meter_no,date," + ",".join(f"p{i}" for i in range(1, 97)) + "\nM2,2026-11-02," + ",".join(values))
    batch = create_batch(source=IngestBatch.Source.COMMAND, path=path, filename=path.name, as_of=at("2026-11-20 12:00"))
    assert process_batch(batch_id=batch.pk).inserted == 96

    day = readings(api, period_from="2026-11-02", period_to="2026-11-03", group_by="day")["results"]
    # Σ 0.01 … 0.96 = 0.01 × (96 × 97 / 2) = 46.56 kWh measured, × 2 = 93.12 kWh.
    assert day[0]["consumption_kwh"] == "93.1200" and day[0]["intervals"] == 96
    last = readings(api, period_from="2026-11-02T23:45", period_to="2026-11-03")["results"]
    assert last == [
        {
            "interval_start": "2026-11-02T23:45:00+08:00",
            "interval_end": "2026-11-03T00:00:00+08:00",
            "consumption_kwh": "1.9200",  # 0.96 × 2
            "quality": "actual",
        }
    ]


def test_hourly_meter_intervals_end_an_hour_later(api, meter):
    hourly = make_meter(meter_no="H1", interval_minutes=60, account=meter.account)
    add_intervals(hourly, at("2026-11-01 10:00"), ["1.5"])

    (only,) = readings(api, meter_no="H1", period_from="2026-11-01", period_to="2026-11-02")["results"]

    assert (only["interval_end"], only["consumption_kwh"]) == ("2026-11-01T11:00:00+08:00", "1.5000")


# --- register reads ----------------------------------------------------------------------------------


def test_register_reads_are_decimal_strings_in_time_order(api, meter):
    for day, total, quality in ((1, "1000.00", A), (2, "1012.50", E), (3, "1030.25", A)):
        RegisterRead.objects.create(
            meter=meter,
            read_at=at(f"2026-11-{day:02d} 00:00"),
            total=Decimal(total),
            sharp=Decimal("100.00"),
            peak=Decimal("300.00"),
            flat=Decimal("400.00"),
            valley=Decimal(total) - Decimal("800.00"),
            quality=quality,
        )

    response = api.get("/api/v1/meters/M2/register-reads", {"period_from": "2026-11-02", "period_to": "2026-11-04"})

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "read_at": "2026-11-02T00:00:00+08:00",
            "total": "1012.50",
            "sharp": "100.00",
            "peak": "300.00",
            "flat": "400.00",
            "valley": "212.50",
            "reactive": None,  # this meter has no reactive register
            "quality": "estimated",
        },
        {
            "read_at": "2026-11-03T00:00:00+08:00",
            "total": "1030.25",
            "sharp": "100.00",
            "peak": "300.00",
            "flat": "400.00",
            "valley": "230.25",
            "reactive": None,
            "quality": "actual",
        },
    ]
    newest = api.get("/api/v1/meters/M2/register-reads", {"order": "desc", "page_size": 1}).json()
    assert newest["count"] == 3 and newest["results"][0]["total"] == "1030.25"


def test_register_reads_without_tou_registers_are_null(api, meter):
    RegisterRead.objects.create(meter=meter, read_at=at("2026-11-01 00:00"), total=Decimal("5.00"))

    (read,) = api.get("/api/v1/meters/M2/register-reads").json()["results"]

    assert (read["total"], read["sharp"], read["peak"], read["flat"], read["valley"]) == (
        "5.00",
        None,
        None,
        None,
        None,
    )


# --- bad parameters → 400 naming the parameter, never 500 -----------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period_from": "yesterday"}, "period_from"),
        ({"period_from": "2026-11-01", "period_to": "2026-13-01"}, "period_to"),
        ({"period_from": "2026-02-30"}, "period_from"),
        ({"period_from": "2026-11-01T25:00"}, "period_from"),
        ({"period_from": "2026-11-02", "period_to": "2026-11-01"}, "period_to"),
        ({"period_from": "2026-11-01", "period_to": "2026-11-01"}, "period_to"),  # empty: to must be after from
        ({"period_from": "2026-11-01", "period_to": "2026-11-02", "group_by": "week"}, "group_by"),
        ({"period_from": "2026-11-01", "period_to": "2026-11-02", "order": "newest"}, "order"),
        ({"period_from": "2025-01-01", "period_to": "2026-02-06"}, "period_to"),  # 365 + 36 = 401 days raw
        ({"period_from": "2025-01-01", "period_to": "2026-02-06", "group_by": "hour"}, "period_to"),
        ({"period_from": "2010-01-01", "period_to": "2026-01-01", "group_by": "month"}, "period_to"),  # > 3660 days
    ],
)
def test_bad_reading_parameters_are_400_naming_the_parameter(api, meter, params, field):
    response = api.get("/api/v1/meters/M2/readings", params)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (400, "invalid")
    assert list(error["fields"]) == [field]


def test_without_a_period_a_meter_older_than_the_window_answers_its_latest_window(api, meter):
    # M2 was installed on 2026-01-01. Asked for everything up to 6 Feb 2027 (401 days raw, over the
    # 400-day limit), it used to answer 400; it now answers the latest 400 days: from 2026-01-02 00:00.
    add_intervals(meter, at("2026-01-01 12:00"), ["0.1"])  # 401 days before period_to: outside
    add_intervals(meter, at("2026-01-02 00:00"), ["0.2"])  # exactly 400 days before: inside
    add_intervals(meter, at("2027-02-05 23:45"), ["0.3"])
    body = readings(api, period_to="2027-02-06")
    assert [(r["interval_start"], r["consumption_kwh"]) for r in body["results"]] == [
        ("2026-01-02T00:00:00+08:00", "0.4000"),  # 0.2 kWh × multiplier 2
        ("2027-02-05T23:45:00+08:00", "0.6000"),  # 0.3 × 2
    ]
    # No bound at all: the latest 400 days up to now, whatever the meter's age (here: six years).
    meter.installed_at = at("2020-01-01 00:00")
    meter.save(update_fields=["installed_at"])
    assert api.get("/api/v1/meters/M2/readings").status_code == 200
    assert api.get("/api/v1/meters/M2/readings", {"group_by": "day"}).status_code == 200
    # Only period_from: 400 days from it; only two explicit bounds too far apart are refused.
    assert api.get("/api/v1/meters/M2/readings", {"period_from": "2010-01-01"}).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period_from": "not-a-date"}, "period_from"),
        ({"period_to": "2026-11-01T12:00:00+99:00"}, "period_to"),
        ({"period_from": "2026-11-02", "period_to": "2026-11-01"}, "period_to"),
        ({"order": "sideways"}, "order"),
    ],
)
def test_bad_register_read_parameters_are_400_naming_the_parameter(api, meter, params, field):
    response = api.get("/api/v1/meters/M2/register-reads", params)

    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == [field]


def test_bad_parameters_on_a_meter_you_cannot_see_are_still_404(api):
    other = make_meter(meter_no="OTHER")
    assert api.get(f"/api/v1/meters/{other.meter_no}/readings", {"group_by": "week"}).status_code == 404
    assert api.get("/api/v1/meters/NOPE/register-reads", {"order": "x"}).status_code == 404


# --- schema ------------------------------------------------------------------------------------------


def test_schema_documents_both_endpoints_and_their_parameters():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    readings_op = schema["paths"]["/api/v1/meters/{meter_no}/readings"]["get"]
    registers_op = schema["paths"]["/api/v1/meters/{meter_no}/register-reads"]["get"]

    names = {p["name"] for p in readings_op["parameters"]}
    assert {"meter_no", "period_from", "period_to", "group_by", "order", "page", "page_size"} <= names
    group_by = next(p for p in readings_op["parameters"] if p["name"] == "group_by")
    assert {"hour", "day", "month"} <= set(group_by["schema"]["enum"])
    assert {"meter_no", "period_from", "period_to", "order", "page"} <= {p["name"] for p in registers_op["parameters"]}
    page = readings_op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert page.endswith("/PaginatedConsumptionList")
    consumption = schema["components"]["schemas"]["Consumption"]
    assert consumption["properties"]["consumption_kwh"] == {
        "type": "string",
        "format": "decimal",
        "description": consumption["properties"]["consumption_kwh"]["description"],
    }
    assert set(consumption["required"]) == {"interval_start", "interval_end", "consumption_kwh", "quality"}
    assert {"400", "404"} <= set(readings_op["responses"]) and {"400", "404"} <= set(registers_op["responses"])
