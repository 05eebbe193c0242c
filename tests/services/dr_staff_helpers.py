"""A settled demand-response event for the staff-side tests: the flow test's household (baseline 2.92
kW over 14:00–16:00 on 12 August 2026, actual 1.0 kW) that opts in, and a neighbour on the same
readings that is invited but declines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D

from customers.models import Account
from services.actions.demand_response.enrolment import enrol_account
from services.actions.demand_response.events import EventTargets, advance_events, create_event, respond_to_event
from services.actions.demand_response.programs import add_terms_version
from services.models import DREnrolment, DREvent, DRParticipation, DRProgram
from tests.factories import make_account, make_meter
from tests.services.test_demand_response_flow import EVENT_DAY, at, write_load

__all__ = ["EVENT_DAY", "Scenario", "at", "completed_event", "make_program"]


def make_program(*, code: str = "res-day-ahead", approval: bool = False) -> DRProgram:
    program = DRProgram.objects.create(
        code=code,
        name="居民日前削峰邀约",
        kind=DRProgram.Kind.PEAK_SHAVING,
        notice_class=DRProgram.NoticeClass.DAY_AHEAD,
        min_notice_minutes=12 * 60,
        response_deadline_minutes=4 * 60,
        valid_from=dt.date(2026, 6, 1),
        valid_to=dt.date(2026, 10, 1),
        eligible_categories=["residential"],
        baseline_method=DRProgram.BaselineMethod.SIMILAR_WORKING_DAYS,
        max_event_hours=D("4"),
        settlement_needs_approval=approval,
    )
    add_terms_version(program=program, valid_from=dt.date(2026, 6, 1), energy_price=D("1.5"))
    return program


def household(area=None) -> tuple[Account, object]:
    account = make_account(contracted_kva=D("8.00"), **({"area": area} if area else {}))
    meter = make_meter(account=account, installed_at=at(dt.date(2026, 5, 1), 0))
    write_load(meter, first=dt.date(2026, 6, 10), last=EVENT_DAY)
    return account, meter


@dataclass
class Scenario:
    program: DRProgram
    taker: Account  # opted in; prior event on 7 August
    decliner: Account  # invited, opted out
    event: DREvent
    enrolments: list[DREnrolment]


def draft_event(*, approval: bool = False, code: str = "res-day-ahead") -> Scenario:
    program = make_program(approval=approval, code=code)
    taker, _ = household()
    decliner, _ = household(area=taker.area)
    terms = program.terms.get()
    enrolments = [
        enrol_account(
            program=program,
            account=account,
            committed_kw=D("2.5"),
            accepted_terms=terms,
            user=None,
            channel="hall",
            now=at(dt.date(2026, 8, 1), 9),
        )
        for account in (taker, decliner)
    ]
    prior = DREvent.objects.create(
        program=program,
        name="8月7日削峰",
        start=at(dt.date(2026, 8, 7), 14),
        end=at(dt.date(2026, 8, 7), 16),
        notice_at=at(dt.date(2026, 8, 6), 17),
        response_deadline=at(dt.date(2026, 8, 7), 10),
        requested_kw=D("100"),
        status=DREvent.Status.SETTLED,
    )
    DRParticipation.objects.create(
        event=prior,
        enrolment=enrolments[0],
        account=taker,
        committed_kw=D("2.5"),
        response="opted_in",
        invited_at=prior.notice_at,
    )
    event = create_event(
        program=program,
        name="8月12日削峰",
        start=at(EVENT_DAY, 14),
        end=at(EVENT_DAY, 16),
        notice_at=at(dt.date(2026, 8, 11), 17),
        requested_kw=D("500"),
        targets=EventTargets(area_ids=[taker.area_id]),
        user=None,
        now=at(dt.date(2026, 8, 11), 16),
    )
    return Scenario(program=program, taker=taker, decliner=decliner, event=event, enrolments=enrolments)


def answer_and_complete(scenario: Scenario) -> None:
    """The taker opts in, the decliner opts out; the clock runs past the end."""
    for account, opt_in in ((scenario.taker, True), (scenario.decliner, False)):
        participation = DRParticipation.objects.get(event=scenario.event, account=account)
        respond_to_event(
            participation=participation, opt_in=opt_in, user=None, channel="hall", now=at(dt.date(2026, 8, 11), 20)
        )
    advance_events(now=at(EVENT_DAY, 16, 5))


def completed_event(*, approval: bool = False) -> Scenario:
    from services.actions.demand_response.events import dispatch_event

    scenario = draft_event(approval=approval)
    dispatch_event(event=scenario.event, user=None, now=at(dt.date(2026, 8, 11), 16))
    answer_and_complete(scenario)
    scenario.event.refresh_from_db()
    return scenario
