"""Demand-response test data shared by the hall page, API and browser tests: the flow test's program and
household (a week of known window loads, hand-computed baseline 2.92 kW), an enrolment, a dispatched
invitation and a settled event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from core.time import SHANGHAI
from services.actions.demand_response.enrolment import enrol_account
from services.actions.demand_response.events import (
    EventTargets,
    advance_events,
    create_event,
    dispatch_event,
    respond_to_event,
)
from services.actions.demand_response.programs import add_terms_version
from services.actions.demand_response.settlement import settle_event
from services.models import DRParticipation, DRProgram
from tests.factories import bind, make_account, make_meter, make_portal_user
from tests.services.test_demand_response_flow import EVENT_DAY, write_load

__all__ = ["EVENT_DAY", "at", "enrolled_household", "make_program", "settled_event", "upcoming_invitation"]


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def make_program(**overrides) -> DRProgram:
    values = {
        "code": "res-day-ahead",
        "name": "居民日前削峰邀约",
        "kind": DRProgram.Kind.PEAK_SHAVING,
        "notice_class": DRProgram.NoticeClass.DAY_AHEAD,
        "min_notice_minutes": 12 * 60,
        "response_deadline_minutes": 4 * 60,
        "valid_from": dt.date(2026, 6, 1),
        "valid_to": dt.date(2026, 10, 1),
        "eligible_categories": ["residential"],
        "baseline_method": DRProgram.BaselineMethod.SIMILAR_WORKING_DAYS,
        "max_event_hours": D("4"),
    }
    values.update(overrides)
    program = DRProgram.objects.create(**values)
    add_terms_version(
        program=program,
        valid_from=values["valid_from"],
        energy_price=D("1.5"),
        penalty_below_ratio=D("0.5"),
        penalty_factor=D("0.5"),
        cap_per_event=D("100"),
    )
    return program


def enrolled_household(program: DRProgram, *, committed_kw: D = D("2.5")):
    """A residential account with 10 June … 12 August of readings, its portal user, enrolled on 1 Aug."""
    account = make_account(contracted_kva=D("8.00"))
    meter = make_meter(account=account, installed_at=at(dt.date(2026, 5, 1), 0))
    write_load(meter, first=dt.date(2026, 6, 10), last=EVENT_DAY)
    user = make_portal_user()
    bind(user=user, account=account)
    enrolment = enrol_account(
        program=program,
        account=account,
        committed_kw=committed_kw,
        accepted_terms=program.terms.get(),
        user=user,
        channel="hall",
        now=at(dt.date(2026, 8, 1), 9),
    )
    return account, meter, user, enrolment


def upcoming_invitation(program: DRProgram, account, *, day: dt.date = EVENT_DAY):
    """The 14:00–16:00 event on ``day``, told the day before at 17:00; answers until 10:00 that day."""
    event = create_event(
        program=program,
        name=f"{day:%-m月%-d日}削峰",
        start=at(day, 14),
        end=at(day, 16),
        notice_at=at(day - dt.timedelta(days=1), 17),
        requested_kw=D("500"),
        targets=EventTargets(account_ids=[account.pk]),
        user=None,
        now=at(day - dt.timedelta(days=1), 16),
    )
    dispatch_event(event=event, user=None, now=at(day - dt.timedelta(days=1), 16))
    return event, DRParticipation.objects.get(event=event, account=account)


def settled_event(program: DRProgram, account, user):
    """The event of 12 August answered yes, completed and settled: 3.84 kWh × 1.5 = ¥5.76."""
    event, participation = upcoming_invitation(program, account)
    respond_to_event(
        participation=participation, opt_in=True, user=user, channel="hall", now=at(dt.date(2026, 8, 11), 20)
    )
    advance_events(now=at(EVENT_DAY, 16, 5))
    settle_event(event=event, now=at(dt.date(2026, 8, 13), 9))
    participation.refresh_from_db()
    return event, participation
