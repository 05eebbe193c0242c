"""The services app's part of ``seed_demo`` for demand response (需求响应), through the real services:

* **居民日前削峰邀约** (``demo-res-day-ahead``): residential, day-ahead invitation, peak shaving,
  1.2 CNY per verified kWh, nothing below 50 % of the committed kW, paid up to 120 %, caps ¥50 an
  event and ¥300 a season; similar-working-days baseline. The demo customer's home account and the
  other residential accounts of its area that have curves are enrolled.
* **工业约定削峰（容量）** (``demo-ind-capacity``): industrial ≥ 315 kVA, contracted, 30 CNY per kW of
  verified average response per event, standby payment 2 CNY per committed kW a month, penalty below
  50 % (shortfall × 30 × 0.5); high-5-of-10 baseline. The industrial accounts with curves are enrolled.

The season began 75 days before ``as_of``; on working days since, events were called, answered,
and the participants' readings in the window lowered by what they shed (the demo's customers
responded) before the **real settlement service** settled them from those readings and posted the
money to the ledger — so every statement is consistent with the readings. Standby payments are
posted for the past months. One residential event two days after ``as_of`` is open for the demo
customer to answer.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model

from billing.models import IntervalReading, Meter, MeterDayCompleteness
from core import calendar
from core.time import local_datetime
from customers.demo import DEMO_ADMIN_USERNAME, DEMO_CUSTOMER_USERNAME
from customers.models import Account, PortalBinding
from services.actions.demand_response.eligibility import check_eligibility
from services.actions.demand_response.enrolment import enrol_account
from services.actions.demand_response.events import (
    EventTargets,
    advance_events,
    create_event,
    dispatch_event,
    respond_to_event,
)
from services.actions.demand_response.programs import add_terms_version
from services.actions.demand_response.settlement import (
    approve_settlement,
    post_availability_payments,
    settle_event,
)
from services.models import DREnrolment, DREvent, DRParticipation, DRProgram, DRSettlement

RESIDENTIAL_CODE = "demo-res-day-ahead"
INDUSTRIAL_CODE = "demo-ind-capacity"
SEASON_DAYS = 75  # the season began this many days before as_of
MAX_HOUSEHOLDS = 12  # residential accounts enrolled besides the demo customer's


def _accounts_with_curves(*, category: str, as_of: dt.date) -> list[Account]:
    """Accounts of ``category`` whose customer meter measured most of the last 15 days."""
    recent = MeterDayCompleteness.objects.filter(
        day__gte=as_of - dt.timedelta(days=15), day__lt=as_of, actual__gt=0
    ).values("meter_id")
    meters = Meter.objects.filter(pk__in=recent, role=Meter.Role.CUSTOMER).values("account_id")
    return list(
        Account.objects.filter(pk__in=meters, category=category, status=Account.Status.ACTIVE).order_by("number")
    )


def _working_days(first: dt.date, last: dt.date) -> list[dt.date]:
    days, day = [], first
    while day <= last:
        if calendar.day_kind(day) is calendar.DayKind.WORKING:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _programs(*, as_of: dt.date) -> tuple[DRProgram, DRProgram]:
    season_start = as_of - dt.timedelta(days=SEASON_DAYS)
    season_end = as_of + dt.timedelta(days=60)
    residential = DRProgram.objects.create(
        code=RESIDENTIAL_CODE,
        name="居民日前削峰邀约",
        description="用电高峰前一天邀请您在指定时段少用电（如调高空调温度、错峰使用洗衣机和热水器），按核定的减少电量给予补贴，计入下期电费。",
        kind=DRProgram.Kind.PEAK_SHAVING,
        notice_class=DRProgram.NoticeClass.DAY_AHEAD,
        min_notice_minutes=12 * 60,
        response_deadline_minutes=4 * 60,
        valid_from=season_start,
        valid_to=season_end,
        eligible_categories=[Account.Category.RESIDENTIAL],
        baseline_method=DRProgram.BaselineMethod.SIMILAR_WORKING_DAYS,
        max_event_hours=Decimal("2"),
        max_events_per_month=6,
    )
    add_terms_version(
        program=residential,
        valid_from=season_start,
        energy_price=Decimal("1.2"),
        threshold_ratio=Decimal("0.5"),
        payable_ratio_cap=Decimal("1.2"),
        cap_per_event=Decimal("50"),
        cap_per_season=Decimal("300"),
    )
    industrial = DRProgram.objects.create(
        code=INDUSTRIAL_CODE,
        name="工业约定削峰（容量补偿）",
        description="签约企业约定可削减负荷，接到通知后在约定时段削减；按每次核定的平均削减负荷补贴，另按约定容量每月给予备用补贴。",
        kind=DRProgram.Kind.PEAK_SHAVING,
        notice_class=DRProgram.NoticeClass.CONTRACTED,
        min_notice_minutes=4 * 60,
        response_deadline_minutes=60,
        valid_from=season_start,
        valid_to=season_end,
        eligible_categories=[Account.Category.INDUSTRIAL],
        min_contracted_kva=Decimal("315"),
        baseline_method=DRProgram.BaselineMethod.HIGH_5_OF_10,
        max_event_hours=Decimal("4"),
        max_events_per_month=4,
    )
    add_terms_version(
        program=industrial,
        valid_from=season_start,
        capacity_price=Decimal("30"),
        availability_price=Decimal("2"),
        threshold_ratio=Decimal("0.5"),
        payable_ratio_cap=Decimal("1.2"),
        penalty_below_ratio=Decimal("0.5"),
        penalty_factor=Decimal("0.5"),
        cap_per_event=Decimal("30000"),
    )
    return residential, industrial


def _enrol(*, program: DRProgram, accounts: list[Account], on: dt.date, share: float, users: dict) -> list[DREnrolment]:
    enrolments = []
    now = local_datetime(on, dt.time(10))
    terms = program.terms.get(version=1)
    for account in accounts:
        eligibility = check_eligibility(program=program, account=account, today=on)
        if not eligibility.eligible or eligibility.max_commit_kw <= Decimal("0.2"):
            continue
        committed = (eligibility.max_commit_kw * Decimal(str(share))).quantize(Decimal("0.1"))
        enrolments.append(
            enrol_account(
                program=program,
                account=account,
                committed_kw=max(committed, Decimal("0.1")),
                accepted_terms=terms,
                user=users.get(account.pk),
                channel=DREnrolment.Channel.HALL,
                now=now,
            )
        )
    return enrolments


def _shed(*, participation: DRParticipation, event: DREvent, share: float) -> None:
    """The customer responded: the window's readings lowered by ``share`` × committed kW (never below
    a fifth of what was drawn), on each of its customer meters in proportion — and, as real loads do
    (pre-cooled rooms, deferred machines), drawn back over the two hours after the window. The day's
    energy is unchanged, so the demo's register reads, bills and usage pages still agree with the
    curves; only the shape moved."""
    meters = list(Meter.objects.filter(account_id=participation.account_id, role=Meter.Role.CUSTOMER))
    if not meters:
        return
    per_meter_kw = participation.committed_kw * Decimal(str(share)) / len(meters)
    rebound_end = event.end + dt.timedelta(hours=2)
    for meter in meters:
        kwh = (per_meter_kw * meter.interval_minutes / 60 / meter.multiplier).quantize(Decimal("0.0001"))
        window = list(
            IntervalReading.objects.filter(meter=meter, interval_start__gte=event.start, interval_start__lt=event.end)
        )
        after = list(
            IntervalReading.objects.filter(meter=meter, interval_start__gte=event.end, interval_start__lt=rebound_end)
        )
        if not after:
            continue  # nowhere to draw it back on this day's data: leave the curve as it was
        shed = Decimal(0)
        for reading in window:
            lowered = max(reading.kwh - kwh, (reading.kwh / 5).quantize(Decimal("0.0001")))
            shed += reading.kwh - lowered
            reading.kwh = lowered
        share_back = (shed / len(after)).quantize(Decimal("0.0001"))
        for reading in after:
            reading.kwh += share_back
        after[-1].kwh += shed - share_back * len(after)  # the rounding remainder: the day's sum is exact
        IntervalReading.objects.bulk_update(window + after, ["kwh"])


def _run_event(
    *,
    program: DRProgram,
    day: dt.date,
    hours: tuple[int, int],
    enrolments: list[DREnrolment],
    users: dict,
    rng: random.Random,
    demo_account_id: int | None,
    admin,
) -> DREvent:
    start, end = local_datetime(day, dt.time(hours[0])), local_datetime(day, dt.time(hours[1]))
    day_ahead = program.notice_class == DRProgram.NoticeClass.DAY_AHEAD
    notice = local_datetime(day - dt.timedelta(days=1), dt.time(16)) if day_ahead else start - dt.timedelta(hours=5)
    event = create_event(
        program=program,
        name=f"{day.month}月{day.day}日{'晚高峰' if hours[0] >= 17 else '午高峰'}削峰",
        start=start,
        end=end,
        notice_at=notice,
        requested_kw=max(sum((e.committed_kw for e in enrolments), Decimal("0")), Decimal("1")),
        targets=EventTargets(account_ids=[e.account_id for e in enrolments]),
        user=admin,
        now=notice - dt.timedelta(minutes=30),
    )
    dispatch_event(event=event, user=admin, now=notice)
    for participation in event.participations.all():
        if day_ahead:  # invitations: most say yes, the demo customer always does
            take_part = participation.account_id == demo_account_id or rng.random() < 0.7
            respond_to_event(
                participation=participation,
                opt_in=take_part,
                user=users.get(participation.account_id),
                channel="hall",
                now=notice + dt.timedelta(hours=2),
            )
            participation.refresh_from_db()
        if participation.response == DRParticipation.Response.OPTED_IN:
            # What they shed: mostly 60–110 % of the commitment, now and then too little.
            share = 0.9 if participation.account_id == demo_account_id else rng.choice([0.3, 0.6, 0.8, 0.9, 1.0, 1.1])
            _shed(participation=participation, event=event, share=share)
    advance_events(now=end + dt.timedelta(minutes=5))
    settled_at = local_datetime(day + dt.timedelta(days=1), dt.time(9))
    settle_event(event=event, now=settled_at)
    for settlement in DRSettlement.objects.filter(participation__event=event).exclude(
        status=DRSettlement.Status.POSTED
    ):
        approve_settlement(
            settlement=settlement,
            user=admin,
            note="演示数据：人工复核后结算 demo data: reviewed by staff",
            now=settled_at + dt.timedelta(hours=2),
        )
    return event


def seed_demand_response_demo(*, seed: int, as_of: dt.date, **_ignored) -> str:
    admin = get_user_model().objects.filter(username=DEMO_ADMIN_USERNAME).first()
    demo_binding = (
        PortalBinding.objects.filter(user__username=DEMO_CUSTOMER_USERNAME, account__category="residential")
        .select_related("account", "user")
        .order_by("account__number")
        .first()
    )
    if admin is None or demo_binding is None:
        return "Demand response: no demo customer or admin, none seeded."
    rng = random.Random(seed * 7919 + 15)  # noqa: S311 (demo data, not secrets)
    residential, industrial = _programs(as_of=as_of)
    demo_account = demo_binding.account
    households = [a for a in _accounts_with_curves(category="residential", as_of=as_of) if a.pk != demo_account.pk]
    households = [demo_account, *households[:MAX_HOUSEHOLDS]]
    users = {
        b.account_id: b.user
        for b in PortalBinding.objects.filter(account__in=households).select_related("user").order_by("-role")
    }
    enrol_day = as_of - dt.timedelta(days=SEASON_DAYS - 1)
    home_enrolments = _enrol(program=residential, accounts=households, on=enrol_day, share=0.4, users=users)
    factories = _accounts_with_curves(category="industrial", as_of=as_of)
    factory_enrolments = _enrol(program=industrial, accounts=factories, on=enrol_day, share=0.2, users={})

    # Past events: residential evening peaks on working days about every two weeks, industrial afternoons.
    working = _working_days(enrol_day + dt.timedelta(days=20), as_of - dt.timedelta(days=3))
    residential_days = working[:: max(len(working) // 4, 1)][:4]
    industrial_days = [d for d in working[3 :: max(len(working) // 3, 1)] if d not in residential_days][:3]
    events = 0
    for day in sorted(residential_days):
        if home_enrolments:
            _run_event(
                program=residential,
                day=day,
                hours=(18, 20),
                enrolments=home_enrolments,
                users=users,
                rng=rng,
                demo_account_id=demo_account.pk,
                admin=admin,
            )
            events += 1
    for day in sorted(industrial_days):
        if factory_enrolments:
            _run_event(
                program=industrial,
                day=day,
                hours=(13, 16),
                enrolments=factory_enrolments,
                users={},
                rng=rng,
                demo_account_id=None,
                admin=admin,
            )
            events += 1
    standby = 0
    month = enrol_day.replace(day=1)
    while month < as_of.replace(day=1):
        standby += post_availability_payments(
            month=month, now=local_datetime(month, dt.time(9)) + dt.timedelta(days=32)
        )
        month = (month + dt.timedelta(days=32)).replace(day=1)

    # The upcoming invitation: two working days ahead, told this morning.
    upcoming_day = next(d for d in _working_days(as_of + dt.timedelta(days=2), as_of + dt.timedelta(days=14)))
    if home_enrolments:
        start = local_datetime(upcoming_day, dt.time(18))
        upcoming = create_event(
            program=residential,
            name=f"{upcoming_day.month}月{upcoming_day.day}日晚高峰削峰",
            start=start,
            end=start + dt.timedelta(hours=2),
            notice_at=local_datetime(as_of, dt.time(8)),
            requested_kw=sum((e.committed_kw for e in home_enrolments), Decimal("0")),
            targets=EventTargets(account_ids=[e.account_id for e in home_enrolments]),
            user=admin,
            now=local_datetime(as_of, dt.time(7, 30)),
        )
        dispatch_event(event=upcoming, user=admin, now=local_datetime(as_of, dt.time(8)))
    posted = DRSettlement.objects.filter(status=DRSettlement.Status.POSTED).count()
    return (
        f"Demand response: 2 programs, {len(home_enrolments)} households and {len(factory_enrolments)} factories "
        f"enrolled, {events} past events with {posted} settlements posted, {standby} standby payments, "
        f"1 upcoming invitation on {upcoming_day}."
    )
