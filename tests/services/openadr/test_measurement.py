"""VEN-reported usage in demand-response measurement: it fills the meter's gaps in the event window only
when the program accepts VEN data, never replaces a meter reading, and the settlement says so."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from billing.models import IntervalReading
from services.actions.demand_response.events import EventTargets, advance_events, create_event, dispatch_event
from services.actions.demand_response.settlement import settle_event
from services.actions.openadr.reports import create_report
from services.models import DREnrolment, DRParticipation, DRSettlement, Ven, VenResource
from tests.factories import make_account, make_meter
from tests.services.test_demand_response_flow import EVENT_DAY, at, program, write_load  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _settle_with_ven_gap(program, *, allow: bool, ven_kw: float = 1.0, meter_gap: bool = True) -> DRSettlement:  # noqa: F811
    program.allow_ven_reported_data = allow
    program.save()
    account = make_account(contracted_kva=D("8.00"))
    meter = make_meter(account=account, installed_at=at(dt.date(2026, 5, 1), 0))
    write_load(meter, first=dt.date(2026, 6, 10), last=EVENT_DAY)
    if meter_gap:  # the meter's 14:00–15:00 on the event day never arrived
        IntervalReading.objects.filter(
            meter=meter, interval_start__gte=at(EVENT_DAY, 14), interval_start__lt=at(EVENT_DAY, 15)
        ).delete()
    DREnrolment.objects.create(
        program=program,
        account=account,
        committed_kw=D("2.5"),
        terms=program.terms.get(),
        accepted_at=at(dt.date(2026, 8, 1), 9),
        channel="openadr",
    )
    event = create_event(
        program=program,
        name="8月12日削峰",
        start=at(EVENT_DAY, 14),
        end=at(EVENT_DAY, 16),
        notice_at=at(dt.date(2026, 8, 11), 17),
        requested_kw=D("500"),
        targets=EventTargets(account_ids=[account.pk]),
        user=None,
        now=at(dt.date(2026, 8, 11), 16),
    )
    dispatch_event(event=event, user=None, now=at(dt.date(2026, 8, 11), 16))
    DRParticipation.objects.filter(event=event).update(response="opted_in")
    ven = Ven.objects.create(
        ven_name="agg", client_id="agg-1", created_at=event.created_at, modified_at=event.created_at
    )
    VenResource.objects.create(
        ven=ven,
        resource_name="r1",
        client_id="agg-1",
        account=account,
        created_at=event.created_at,
        modified_at=event.created_at,
    )
    create_report(
        event=event,
        client_id="agg-1",
        data={
            "client_name": "agg",
            "report_name": "usage",
            "payload_descriptors": None,
            # The VEN's 14:00–16:00 in four half-hours: kWh = kW × 0.5 h.
            "resources": [
                {
                    "resourceName": "r1",
                    "intervals": [
                        {
                            "id": k,
                            "intervalPeriod": {
                                "start": (at(EVENT_DAY, 14) + dt.timedelta(minutes=30 * k)).isoformat(),
                                "duration": "PT30M",
                            },
                            "payloads": [{"type": "USAGE", "values": [ven_kw * 0.5]}],
                        }
                        for k in range(4)
                    ],
                }
            ],
        },
        now=at(EVENT_DAY, 16, 30),
    )
    advance_events(now=at(EVENT_DAY, 16, 5))
    settle_event(event=event, now=at(dt.date(2026, 8, 13), 9))
    return DRSettlement.objects.get(participation__event=event)


def test_ven_usage_fills_the_meters_gap_when_the_program_allows_it(program):  # noqa: F811
    settlement = _settle_with_ven_gap(program, allow=True)
    # 14:00–15:00 from the VEN (0.5 kWh per half hour = 1.0 kW), 15:00–16:00 from the meter (1.0 kW).
    # Baseline: the five working days before 12 Aug (no prior event here): 11, 10, 7, 6, 5 Aug →
    # (3.5 + 3.2 + 3.4 + 2.8 + 2.5) / 5 = 3.08 kW; response 3.08 − 1.0 = 2.08 kW × 2 h = 4.16 kWh;
    # 4.16 × 1.5 CNY = 6.24 CNY.
    assert settlement.data_source == "meter+ven"
    assert settlement.detail["ven_reported_slots"] == 4
    assert settlement.detail["baseline_kw"] == [3.08] * 8
    assert settlement.detail["actual_kw"] == [1.0] * 8
    assert (settlement.verified_kwh, settlement.net, settlement.status) == (D("4.160"), D("6.24"), "posted")


def test_without_the_programs_consent_ven_data_is_not_used(program):  # noqa: F811
    settlement = _settle_with_ven_gap(program, allow=False)
    assert settlement.data_source == "meter"
    assert settlement.status == "awaiting_data"
    assert {f["code"] for f in settlement.flags} == {"data_missing"}


def test_ven_data_never_replaces_a_meter_reading(program):  # noqa: F811
    # The meter has the whole window (1.0 kW); the VEN claims 0.2 kW: the meter counts.
    settlement = _settle_with_ven_gap(program, allow=True, ven_kw=0.2, meter_gap=False)
    assert settlement.data_source == "meter"
    assert settlement.detail["actual_kw"] == [1.0] * 8
