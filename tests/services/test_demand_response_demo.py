"""The demo's demand response (services.demo.demand_response): two programs, the demo customer
enrolled in the residential one, a past season of events settled by the real settlement service from
the seeded readings — each posted settlement's money recomputed from those readings equals its ledger
entry — standby payments, and one upcoming invitation the demo customer can still answer."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.management import call_command

from analytics.demand_response.incentive import price_response
from billing.models import LedgerEntry
from core.time import local_datetime
from customers.demo import DEMO_CUSTOMER_USERNAME
from services.actions.demand_response.programs import incentive_terms
from services.actions.demand_response.readings import load_arrays
from services.actions.demand_response.statements import statement
from services.demo.demand_response import INDUSTRIAL_CODE, RESIDENTIAL_CODE
from services.models import DREnrolment, DREvent, DRParticipation, DRProgram, DRSettlement
from tests.module_data import kept_for_module

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
AS_OF = dt.date(2026, 11, 24)


def _seed() -> None:
    call_command("seed_demo", "--customers", "30", "--as-of", AS_OF.isoformat(), stdout=io.StringIO())


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> Iterator[None]:
    yield from kept_for_module(django_db_blocker, _seed)


def test_two_programs_and_the_demo_customer_is_enrolled(seeded):
    residential = DRProgram.objects.get(code=RESIDENTIAL_CODE)
    industrial = DRProgram.objects.get(code=INDUSTRIAL_CODE)
    terms = residential.terms.get()
    assert (terms.energy_price, terms.threshold_ratio) == (Decimal("1.20000"), Decimal("0.5000"))
    standby = industrial.terms.get()
    assert (standby.capacity_price, standby.availability_price) == (Decimal("30.00000"), Decimal("2.00000"))
    assert industrial.notice_class == "contracted" and residential.notice_class == "day_ahead"
    assert DREnrolment.objects.filter(
        program=residential, account__bindings__user__username=DEMO_CUSTOMER_USERNAME, status="active"
    ).exists()
    # Standby payments post for every factory enrolled (30 demo customers have no factory with curves;
    # the default 200 have three).
    factories = DREnrolment.objects.filter(program=industrial).count()
    standby_credits = LedgerEntry.objects.filter(posting_key__startswith="dr:availability:").count()
    assert (standby_credits > 0) == (factories > 0)


def test_every_posted_settlement_is_recomputed_from_the_readings_to_its_ledger_entry(seeded):
    settlements = list(
        DRSettlement.objects.filter(status=DRSettlement.Status.POSTED).select_related(
            "participation__event__program", "participation__account", "terms"
        )
    )
    assert len(settlements) >= 5
    demo_events = DRParticipation.objects.filter(
        account__bindings__user__username=DEMO_CUSTOMER_USERNAME, settlement__status="posted"
    )
    assert demo_events.count() >= 3
    for settlement in settlements:
        participation = settlement.participation
        event = participation.event
        day = event.start.astimezone(local_datetime(AS_OF, dt.time(0)).tzinfo).date()
        arrays = load_arrays(account_ids=[participation.account_id], first_day=day, last_day=day)
        first = (event.start - local_datetime(day, dt.time(0))).seconds // 900
        last = (event.end - local_datetime(day, dt.time(0))).seconds // 900
        actual = arrays.load_kw[0, 0, first:last]
        baseline = settlement.detail["baseline_kw"]
        # The actual load in the window is the readings' (what the statement charts).
        assert [None if v != v else round(float(v), 3) for v in actual] == settlement.detail["actual_kw"]
        # Verified kWh: Σ max(baseline − actual, 0) × 0.25 h, from the readings (a missing one: no response).
        verified = (
            sum(max(b - a, 0.0) for b, a in zip(baseline, actual, strict=True) if b is not None and a == a) * 0.25
        )
        assert abs(Decimal(f"{verified:.6f}") - settlement.verified_kwh) <= Decimal("0.001") * len(actual)
        hours = Decimal(len(actual)) / 4
        money = price_response(
            terms=incentive_terms(settlement.terms),
            verified_kwh=settlement.verified_kwh,
            verified_kw=settlement.verified_kw,
            committed_kw=participation.committed_kw,
            window_hours=hours,
        )
        assert money.incentive >= settlement.incentive  # the season and month caps can only lower it
        if settlement.detail["capped_by"] in (None, "event"):
            assert (money.incentive, money.penalty) == (settlement.incentive, settlement.penalty)
        posted = sum(
            LedgerEntry.objects.filter(
                posting_key__startswith=f"dr:{event.pk}:{participation.account_id}:r"
            ).values_list("amount", flat=True),
            Decimal("0"),
        )
        assert -posted == settlement.net == settlement.posted_net
        sheet = statement(settlement=settlement)
        assert [r.actual_kw for r in sheet.rows] == [
            None if v is None else Decimal(str(v)) for v in settlement.detail["actual_kw"]
        ]


def test_one_upcoming_invitation_the_demo_customer_can_answer(seeded):
    upcoming = DREvent.objects.filter(status=DREvent.Status.SCHEDULED)
    assert upcoming.count() == 1
    event = upcoming.get()
    assert event.start > local_datetime(AS_OF, dt.time(8)) and event.response_deadline > local_datetime(
        AS_OF, dt.time(9)
    )
    invitation = DRParticipation.objects.get(event=event, account__bindings__user__username=DEMO_CUSTOMER_USERNAME)
    assert (invitation.response, invitation.answered) == ("opted_out", False)
