"""Demand response end to end on PostgreSQL: program and terms, eligibility, enrolment, event dispatch
(notified once), opt-in before the deadline (late answers refused), completion, settlement into the
ledger (hand-computed), idempotent re-runs and a correction posted as the difference."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from billing.models import IntervalReading, LedgerEntry
from billing.services.completeness import refresh_completeness
from core.time import SHANGHAI
from services.actions.demand_response.enrolment import enrol_account
from services.actions.demand_response.errors import DemandResponseError
from services.actions.demand_response.events import (
    EventTargets,
    advance_events,
    create_event,
    dispatch_event,
    respond_to_event,
)
from services.actions.demand_response.programs import add_terms_version
from services.actions.demand_response.settlement import settle_event
from services.models import DREvent, DRParticipation, DRProgram, DRSettlement
from services.models.notifications import Notification
from tests.factories import bind, make_account, make_meter, make_portal_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

EVENT_DAY = dt.date(2026, 8, 12)  # a Wednesday
# The window's load on the five working days before the event; Friday 7 August was a prior event day.
WINDOW_KW = {
    dt.date(2026, 8, 4): 2.6,
    dt.date(2026, 8, 5): 2.5,
    dt.date(2026, 8, 6): 2.8,
    dt.date(2026, 8, 7): 3.4,
    dt.date(2026, 8, 10): 3.2,
    dt.date(2026, 8, 11): 3.5,
    EVENT_DAY: 1.0,
}
OTHER_KW = 3.0  # outside the window, every day
VARIED_KW = (2.5, 2.8, 3.1, 3.4, 3.5)  # the window on other days: a normal spread, so nothing looks like gaming


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def write_load(meter, *, first: dt.date, last: dt.date) -> None:
    rows = []
    day = first
    while day <= last:
        for slot in range(96):
            start = at(day, 0) + dt.timedelta(minutes=15 * slot)
            in_window = 56 <= slot < 64  # 14:00–16:00
            kw = WINDOW_KW.get(day, VARIED_KW[day.toordinal() % 5]) if in_window else OTHER_KW
            rows.append(IntervalReading(meter_id=meter.pk, interval_start=start, kwh=D(str(kw / 4)), quality=0))
        day += dt.timedelta(days=1)
    IntervalReading.objects.bulk_create(rows, batch_size=5000)
    days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    refresh_completeness(meter_days=[(meter.pk, d) for d in days], as_of=at(last, 23, 59))


@pytest.fixture
def program():
    program = DRProgram.objects.create(
        code="res-day-ahead",
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
    )
    add_terms_version(program=program, valid_from=dt.date(2026, 6, 1), energy_price=D("1.5"))
    return program


@pytest.fixture
def household():
    account = make_account(contracted_kva=D("8.00"))
    meter = make_meter(account=account, installed_at=at(dt.date(2026, 5, 1), 0))
    write_load(meter, first=dt.date(2026, 6, 10), last=EVENT_DAY)
    user = make_portal_user()
    bind(user=user, account=account)
    return account, meter, user


def test_an_event_from_enrolment_to_a_ledger_credit(program, household, django_capture_on_commit_callbacks):
    account, meter, user = household
    terms = program.terms.get()
    enrolment = enrol_account(
        program=program,
        account=account,
        committed_kw=D("2.5"),
        accepted_terms=terms,
        user=user,
        channel="hall",
        now=at(dt.date(2026, 8, 1), 9),
    )
    # A prior event of the same direction on 7 August in which this account took part: excluded.
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
        enrolment=enrolment,
        account=account,
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
        targets=EventTargets(area_ids=[account.area_id]),
        user=None,
        now=at(dt.date(2026, 8, 11), 16),
    )
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_event(event=event, user=None, now=at(dt.date(2026, 8, 11), 16))
    notices = Notification.objects.filter(user=user, kind="demand_response")
    assert notices.count() == 1 and "8月12日" in notices.get().title
    with pytest.raises(DemandResponseError):
        dispatch_event(event=event, user=None, now=at(dt.date(2026, 8, 11), 16, 5))
    assert Notification.objects.filter(user=user, kind="demand_response").count() == 1

    participation = DRParticipation.objects.get(event=event, account=account)
    assert participation.response == "opted_out"  # invitations default to "not taking part"
    respond_to_event(
        participation=participation, opt_in=True, user=user, channel="hall", now=at(dt.date(2026, 8, 11), 20)
    )
    with pytest.raises(DemandResponseError) as late:  # the deadline was 10:00 on the event day
        respond_to_event(
            participation=participation, opt_in=False, user=user, channel="hall", now=at(EVENT_DAY, 10, 30)
        )
    assert late.value.rule_code == "deadline_passed" and "2026-08-12 10:00" in late.value.messages[0]
    assert list(participation.changes.values_list("response", "channel")) == [
        ("opted_out", "default"),
        ("opted_in", "hall"),
    ]

    assert advance_events(now=at(EVENT_DAY, 16, 5)) == {"started": 1, "completed": 1}
    run = settle_event(event=event, now=at(dt.date(2026, 8, 13), 9))
    settlement = DRSettlement.objects.get(participation=participation)
    assert (run.settled, run.posted) == (1, 1)
    # Baseline: the 5 normal working days before 12 Aug, skipping 8–9 Aug (weekend) and 7 Aug (prior
    # event): 4, 5, 6, 10, 11 Aug → (2.6 + 2.5 + 2.8 + 3.2 + 3.5) / 5 = 2.92 kW over 14:00–16:00.
    assert settlement.detail["days_used"] == ["2026-08-04", "2026-08-05", "2026-08-06", "2026-08-10", "2026-08-11"]
    assert settlement.detail["baseline_kw"] == [2.92] * 8
    # Response 2.92 − 1.0 = 1.92 kW × 2 h = 3.84 kWh; ratio 1.92 / 2.5 = 0.768; 3.84 × 1.5 = 5.76 CNY.
    assert (settlement.verified_kwh, settlement.verified_kw, settlement.ratio) == (D("3.840"), D("1.920"), D("0.7680"))
    assert (settlement.incentive, settlement.penalty, settlement.net, settlement.status) == (
        D("5.76"),
        D("0.00"),
        D("5.76"),
        "posted",
    )
    credit = LedgerEntry.objects.get(account=account, posting_key=f"dr:{event.pk}:{account.pk}:r1")
    assert (credit.kind, credit.amount) == ("credit", D("-5.76"))
    event.refresh_from_db()
    assert event.status == "settled"

    # Settling again changes nothing and posts nothing.
    event.status = DREvent.Status.COMPLETED
    event.save(update_fields=["status"])
    settle_event(event=event, now=at(dt.date(2026, 8, 13), 10))
    assert LedgerEntry.objects.filter(account=account, posting_key__startswith=f"dr:{event.pk}:").count() == 1

    # A corrected reading (14:00–14:15 was really 2.0 kW) gives 5.385 → 5.39 CNY; only −0.37 is posted.
    IntervalReading.objects.filter(meter_id=meter.pk, interval_start=at(EVENT_DAY, 14)).update(kwh=D("0.5"))
    settle_event(event=event, now=at(dt.date(2026, 8, 14), 9))
    settlement.refresh_from_db()
    # (7 × 1.92 + 0.92) × 0.25 h = 3.59 kWh × 1.5 = 5.385 → 5.39 (half-up)
    assert (settlement.verified_kwh, settlement.net, settlement.revision) == (D("3.590"), D("5.39"), 2)
    correction = LedgerEntry.objects.get(account=account, posting_key=f"dr:{event.pk}:{account.pk}:r2")
    assert (correction.kind, correction.amount) == ("adjustment", D("0.37"))
    total = sum(LedgerEntry.objects.filter(posting_key__startswith=f"dr:{event.pk}:").values_list("amount", flat=True))
    assert total == D("-5.39")


def test_window_rules_are_refused_with_a_reason_each(program):
    with pytest.raises(ValidationError) as refused:
        create_event(
            program=program,
            name="bad",
            start=at(EVENT_DAY, 14, 10),  # not on a quarter hour
            end=at(EVENT_DAY, 19, 10),  # 5 h > 4 h
            notice_at=at(EVENT_DAY, 8),  # 6 h < 12 h notice
            requested_kw=D("10"),
            targets=EventTargets(),
            user=None,
            now=at(EVENT_DAY, 7),
        )
    codes = {field: [e.code for e in errors] for field, errors in refused.value.error_dict.items()}
    assert codes == {"start": ["not_aligned"], "end": ["not_aligned", "too_long"], "notice_at": ["notice_too_short"]}
