"""VEN reports: stored as VEN interval data with provenance (never in billing's readings), refused with
the reason when they cannot count, compared to meter data, and used by settlement only where the
program allows VEN data and the meter has none."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from billing.models import IntervalReading
from services.models import VenReading, VenReport, VenResource
from services.selectors.openadr import ven_vs_meter
from tests.factories import make_meter
from tests.services.openadr.test_protocol import usage_report

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_a_usage_report_is_stored_per_resource_and_interval_with_provenance(world, vtn, tokens):
    meter_rows = IntervalReading.objects.count()
    response = vtn.post("/reports", usage_report(world.event_a, values=(1.25, 1.0)), token=tokens["a"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["clientID"] == world.ven_a.client_id and body["eventID"] == str(world.event_a.pk)
    report = VenReport.objects.get(pk=body["id"])
    assert (report.ven, report.client_id) == (world.ven_obj_a, world.ven_a.client_id)
    rows = list(VenReading.objects.filter(report=report).order_by("interval_start"))
    # Two 15-minute intervals: the first at the start, the second a quarter (2 h / 8 = 15 min) later.
    assert [(r.interval_start, r.kind, r.kwh, r.account_id) for r in rows] == [
        (world.event_a.start, "USAGE", D("1.25"), world.account_a.pk),
        (world.event_a.start + dt.timedelta(minutes=15), "USAGE", D("1.0"), world.account_a.pk),
    ]
    assert IntervalReading.objects.count() == meter_rows  # meter readings untouched
    assert (
        vtn.get(f"/reports/{report.pk}", token=tokens["a"]).json()["resources"]
        == usage_report(world.event_a)["resources"]
    )


def test_watt_hours_and_demand_are_converted_to_kwh(world, vtn, tokens):
    body = usage_report(world.event_a, values=(500,))
    body["payloadDescriptors"] = [{"objectType": "REPORT_PAYLOAD_DESCRIPTOR", "payloadType": "USAGE", "units": "WH"}]
    body["resources"][0]["intervals"].append(
        {
            "id": 9,
            "intervalPeriod": {"start": world.event_a.start.isoformat(), "duration": "PT30M"},
            "payloads": [{"type": "DEMAND", "values": [4]}],
        }
    )
    assert vtn.post("/reports", body, token=tokens["a"]).status_code == 201
    # 500 Wh = 0.5 kWh; 4 kW over 30 minutes = 4 × 0.5 h = 2 kWh.
    assert sorted(VenReading.objects.values_list("kind", "kwh")) == [("DEMAND", D("2")), ("USAGE", D("0.5"))]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda b, e: b["resources"][0].update(resourceName="nowhere"), "Unknown resource 'nowhere'"),
        (lambda b, e: b["resources"][0].update(resourceName="AGGREGATED_REPORT"), "AGGREGATED_REPORT"),
        (
            lambda b, e: b["resources"][0]["intervals"][0]["intervalPeriod"].update(
                start=(e.start - dt.timedelta(minutes=15)).isoformat()
            ),
            "lies outside the event",
        ),
        (
            lambda b, e: b["resources"][0]["intervals"][0]["intervalPeriod"].update(duration="PT3H"),
            "lies outside the event",
        ),
        (lambda b, e: b["resources"][0]["intervals"][0]["payloads"][0].update(values=["lots"]), "one numeric value"),
        (lambda b, e: b["resources"][0]["intervals"][0]["payloads"][0].update(values=[True]), "one numeric value"),
        (
            lambda b, e: b["resources"][0]["intervals"][1]["intervalPeriod"].update(start=e.start.isoformat()),
            "intervals overlap",
        ),
        (
            lambda b, e: b["resources"][0]["intervals"][0]["intervalPeriod"].update(
                start=(e.start + dt.timedelta(minutes=5)).isoformat()
            ),
            "quarter hour",
        ),
    ],
)
def test_bad_reports_get_a_400_with_the_reason(world, vtn, tokens, change, reason):
    body = usage_report(world.event_a)
    change(body, world.event_a)
    response = vtn.post("/reports", body, token=tokens["a"])
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert not VenReport.objects.exists()


def test_an_unbound_resource_cannot_report(world, vtn, tokens):
    VenResource.objects.create(
        ven=world.ven_obj_a,
        resource_name="site-a2",
        client_id=world.ven_a.client_id,
        created_at=world.event_a.created_at,
        modified_at=world.event_a.created_at,
    )
    response = vtn.post("/reports", usage_report(world.event_a, "site-a2"), token=tokens["a"])
    assert response.status_code == 400 and "not bound to an account" in response.json()["detail"]


def test_a_second_report_over_the_same_intervals_is_a_conflict_and_an_update_replaces(world, vtn, tokens):
    first = vtn.post("/reports", usage_report(world.event_a), token=tokens["a"]).json()
    again = vtn.post("/reports", usage_report(world.event_a), token=tokens["a"])
    assert again.status_code == 409 and f"Report {first['id']}" in again.json()["detail"]
    updated = vtn.put(f"/reports/{first['id']}", usage_report(world.event_a, values=(2.0,)), token=tokens["a"])
    assert updated.status_code == 200
    assert list(VenReading.objects.values_list("kwh", flat=True)) == [D("2.0")]
    assert vtn.delete(f"/reports/{first['id']}", token=tokens["a"]).status_code == 200
    assert not VenReading.objects.exists()


def test_ven_data_is_compared_with_the_meter_where_both_exist(world, vtn, tokens):
    meter = make_meter(account=world.account_a, multiplier=D("2"))
    IntervalReading.objects.create(meter=meter, interval_start=world.event_a.start, kwh=D("0.5"), quality=0)
    vtn.post("/reports", usage_report(world.event_a, values=(1.25, 1.0)), token=tokens["a"])
    (account,) = ven_vs_meter(event=world.event_a)
    assert account.account_number == world.account_a.number
    first, second = account.intervals
    # The meter: 0.5 kWh × multiplier 2 = 1.0 kWh; the VEN said 1.25: 0.25 kWh more. No meter data after.
    assert (first.ven_kwh, first.meter_kwh, first.difference_kwh) == (D("1.25"), D("1.0"), D("0.25"))
    assert (second.meter_kwh, second.difference_kwh) == (None, None)
    assert (account.ven_total_kwh, account.meter_total_kwh) == (D("2.25"), D("1.0"))
