"""Demand-response events: creation (window rules checked), dispatch to the targeted enrolled accounts
(participations with the notice class's default answer, notified once on commit), customers' answers
before the deadline, cancellation, and the clock-driven moves scheduled → active → completed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from analytics.models import AccountSegment
from core.tasks import enqueue_on_commit
from core.time import SHANGHAI, local_date
from customers.models import Account, PortalBinding
from services.actions.demand_response.errors import DemandResponseError
from services.actions.demand_response.programs import program_in_season, terms_in_force
from services.actions.notifications import notify
from services.models import DREnrolment, DREvent, DRParticipation, DRParticipationChange, DRProgram

STEP = dt.timedelta(minutes=15)  # events are aligned to the 15-minute metering interval
LIVE = (DREvent.Status.SCHEDULED, DREvent.Status.ACTIVE)


@dataclass(frozen=True)
class EventTargets:
    area_ids: list[int] = field(default_factory=list)
    feeder_ids: list[int] = field(default_factory=list)
    segment_ids: list[int] = field(default_factory=list)
    account_ids: list[int] = field(default_factory=list)


def _aligned(moment: dt.datetime) -> bool:
    local = moment.astimezone(SHANGHAI)
    return local.minute % 15 == 0 and local.second == 0 and local.microsecond == 0


def window_problems(
    *, program: DRProgram, start: dt.datetime, end: dt.datetime, notice_at: dt.datetime
) -> dict[str, list[ValidationError]]:
    """Every rule the window breaks, by field, each with a message that says what to change."""
    problems: dict[str, list[ValidationError]] = {}

    def add(name: str, message: str, code: str) -> None:
        problems.setdefault(name, []).append(ValidationError(message, code=code))

    for name, moment in (("start", start), ("end", end)):
        if not _aligned(moment):
            add(name, _("Start and end must fall on a quarter hour (:00, :15, :30, :45)."), "not_aligned")
    if end <= start:
        add("end", _("The event must end after it starts."), "window")
    elif end - start > dt.timedelta(hours=float(program.max_event_hours)):
        add(
            "end",
            _("Events of this program last at most %(hours)s hours.") % {"hours": program.max_event_hours},
            "too_long",
        )
    if local_date(start) != local_date(end - dt.timedelta(microseconds=1)):
        add("end", _("An event must start and end on the same day."), "crosses_midnight")
    if not program_in_season(program=program, on=local_date(start)):
        add("start", _("The event must lie within the program's season."), "out_of_season")
    if terms_in_force(program=program, on=local_date(start)) is None:
        add("start", _("The program has no terms in force on the event day."), "no_terms")
    if notice_at > start - dt.timedelta(minutes=program.min_notice_minutes):
        add(
            "notice_at",
            _("Customers must be told at least %(minutes)s minutes before the start.")
            % {"minutes": program.min_notice_minutes},
            "notice_too_short",
        )
    return problems


def _month_event_count(*, program: DRProgram, start: dt.datetime, exclude_pk: int | None) -> int:
    day = local_date(start)
    first = dt.datetime(day.year, day.month, 1, tzinfo=SHANGHAI)
    following = dt.datetime(day.year + (day.month == 12), day.month % 12 + 1, 1, tzinfo=SHANGHAI)
    return (
        DREvent.objects.filter(
            program=program, start__gte=first, start__lt=following, status__in=[*LIVE, "completed", "settled"]
        )
        .exclude(pk=exclude_pk)  # type: ignore[misc]  # pk=None is valid Django: it excludes nothing
        .count()
    )


def draft_problems(
    *,
    program: DRProgram,
    start: dt.datetime,
    end: dt.datetime,
    notice_at: dt.datetime,
    requested_kw: Decimal,
    now: dt.datetime,
) -> dict[str, list[ValidationError]]:
    """What ``create_event`` and ``update_event`` refuse, by field (forms show them on their fields)."""
    problems = window_problems(program=program, start=start, end=end, notice_at=notice_at)
    if notice_at < now - dt.timedelta(minutes=1):
        problems.setdefault("notice_at", []).append(
            ValidationError(_("The notice time has passed; choose a time from now on."), code="notice_past")
        )
    if requested_kw is None or requested_kw <= 0:
        problems.setdefault("requested_kw", []).append(ValidationError(_("Request a positive kW."), code="request"))
    return problems


def _set_targets(*, event: DREvent, targets: EventTargets) -> None:
    event.target_areas.set(targets.area_ids)
    event.target_feeders.set(targets.feeder_ids)
    event.target_segments.set(targets.segment_ids)
    event.target_accounts.set(targets.account_ids)


@transaction.atomic
def create_event(
    *,
    program: DRProgram,
    name: str,
    start: dt.datetime,
    end: dt.datetime,
    notice_at: dt.datetime,
    requested_kw: Decimal,
    targets: EventTargets,
    user,
    now: dt.datetime,
) -> DREvent:
    """A draft event; nothing is sent until it is dispatched."""
    problems = draft_problems(
        program=program, start=start, end=end, notice_at=notice_at, requested_kw=requested_kw, now=now
    )
    if problems:
        raise ValidationError(problems)
    deadline = max(start - dt.timedelta(minutes=program.response_deadline_minutes), notice_at)
    event = DREvent.objects.create(
        program=program,
        name=name,
        start=start,
        end=end,
        notice_at=notice_at,
        response_deadline=deadline,
        requested_kw=requested_kw,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    _set_targets(event=event, targets=targets)
    return event


@transaction.atomic
def update_event(
    *,
    event: DREvent,
    program: DRProgram,
    name: str,
    start: dt.datetime,
    end: dt.datetime,
    notice_at: dt.datetime,
    requested_kw: Decimal,
    targets: EventTargets,
    user,
    now: dt.datetime,
) -> DREvent:
    """Edit a draft (the same rules as creation); a dispatched event is changed only by cancelling it."""
    event = DREvent.objects.select_for_update().get(pk=event.pk)
    if event.status != DREvent.Status.DRAFT:
        raise DemandResponseError(_("Only a draft event can be edited."), code="not_draft")
    problems = draft_problems(
        program=program, start=start, end=end, notice_at=notice_at, requested_kw=requested_kw, now=now
    )
    if problems:
        raise ValidationError(problems)
    event.program, event.name, event.start, event.end = program, name, start, end
    event.notice_at, event.requested_kw = notice_at, requested_kw
    event.response_deadline = max(start - dt.timedelta(minutes=program.response_deadline_minutes), notice_at)
    event.save()
    _set_targets(event=event, targets=targets)
    return event


def targeted_accounts(*, event: DREvent) -> QuerySet[Account]:
    """Accounts the event's targets name (areas, feeders' areas, analytics segments, listed accounts);
    no target at all means the whole program."""
    areas = list(event.target_areas.values_list("id", flat=True))
    feeders = list(event.target_feeders.values_list("id", flat=True))
    segments = list(event.target_segments.values_list("id", flat=True))
    listed = list(event.target_accounts.values_list("id", flat=True))
    if not (areas or feeders or segments or listed):
        return Account.objects.all()
    condition = Q(pk__in=listed) | Q(area_id__in=areas) | Q(area__feeder_id__in=feeders)
    if segments:
        condition |= Q(pk__in=AccountSegment.objects.filter(segment_id__in=segments).values("account_id"))
    return Account.objects.filter(condition)


def _overlapping(*, event: DREvent, account_ids: list[int]) -> list[str]:
    """Account numbers already in a live event of the same direction overlapping this window."""
    return sorted(
        DRParticipation.objects.filter(
            account_id__in=account_ids,
            event__status__in=LIVE,
            event__program__kind=event.program.kind,
            event__start__lt=event.end,
            event__end__gt=event.start,
        )
        .exclude(event=event)
        .values_list("account__number", flat=True)
        .distinct()
    )


@transaction.atomic
def dispatch_event(*, event: DREvent, user, now: dt.datetime) -> DREvent:
    """Draft → scheduled: invite every targeted account enrolled in the program and notify them once."""
    event = DREvent.objects.select_for_update().select_related("program").get(pk=event.pk)
    program = event.program
    if event.status != DREvent.Status.DRAFT:
        raise DemandResponseError(_("Only a draft event can be dispatched."), code="not_draft")
    notice_at = max(event.notice_at, now)  # told now if staff dispatch after the planned notice time
    problems = window_problems(program=program, start=event.start, end=event.end, notice_at=notice_at)
    if _month_event_count(program=program, start=event.start, exclude_pk=event.pk) >= program.max_events_per_month:
        problems.setdefault("start", []).append(
            ValidationError(
                _("This program allows at most %(count)s events a month.") % {"count": program.max_events_per_month},
                code="too_many_events",
            )
        )
    enrolments = list(
        DREnrolment.objects.filter(
            program=program, status=DREnrolment.Status.ACTIVE, account__in=targeted_accounts(event=event)
        )
        .select_related("account")
        .order_by("account_id")
    )
    if not enrolments:
        problems.setdefault("targets", []).append(
            ValidationError(
                _("No account enrolled in the program lies in the event's targets."), code="no_participants"
            )
        )
    clashes = _overlapping(event=event, account_ids=[e.account_id for e in enrolments])
    if clashes:
        problems.setdefault("targets", []).append(
            ValidationError(
                _("%(count)s account(s) already take part in an overlapping event of the same direction: %(numbers)s.")
                % {"count": len(clashes), "numbers": ", ".join(clashes[:5]) + ("…" if len(clashes) > 5 else "")},
                code="overlap",
            )
        )
    if problems:
        raise ValidationError(problems)
    default = (
        DRParticipation.Response.OPTED_IN
        if program.notice_class == DRProgram.NoticeClass.CONTRACTED
        else DRParticipation.Response.OPTED_OUT
    )
    participations = DRParticipation.objects.bulk_create(
        DRParticipation(
            event=event,
            enrolment=enrolment,
            account=enrolment.account,
            committed_kw=enrolment.committed_kw,
            response=default,
            invited_at=notice_at,
        )
        for enrolment in enrolments
    )
    DRParticipationChange.objects.bulk_create(
        DRParticipationChange(participation=p, response=default, changed_at=notice_at, channel="default")
        for p in participations
    )
    event.status = DREvent.Status.SCHEDULED
    event.notice_at = notice_at
    event.response_deadline = max(event.response_deadline, notice_at)
    event.dispatched_at = now
    event.save(update_fields=["status", "notice_at", "response_deadline", "dispatched_at", "modified_at"])
    enqueue_on_commit("services.notify_dr_event", queue="notify", kwargs={"event_id": event.pk, "what": "dispatched"})
    # OpenADR subscribers (VENs of the invited accounts, BL): the event now exists for them.
    enqueue_on_commit(
        "services.openadr_notify_event", queue="notify", kwargs={"event_id": event.pk, "operation": "CREATE"}
    )
    return event


def respond_to_event(
    *, participation: DRParticipation, opt_in: bool, user, channel: str, now: dt.datetime
) -> DRParticipation:
    """The customer's answer: refused after the deadline, recorded with who and when. Repeating the
    answer already given changes nothing and records nothing (a retried tap or API call is harmless)."""
    with transaction.atomic():
        locked = DRParticipation.objects.select_for_update().select_related("event").get(pk=participation.pk)
        event = locked.event
        response = DRParticipation.Response.OPTED_IN if opt_in else DRParticipation.Response.OPTED_OUT
        if locked.answered and locked.response == response:
            return locked
        if event.status != DREvent.Status.SCHEDULED or now >= event.response_deadline:
            raise DemandResponseError(
                _("Answers to this event closed at %(deadline)s.")
                % {"deadline": f"{event.response_deadline.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"},
                code="deadline_passed",
            )
        locked.response, locked.answered, locked.responded_at = response, True, now
        locked.save(update_fields=["response", "answered", "responded_at"])
        DRParticipationChange.objects.create(
            participation=locked,
            response=response,
            changed_at=now,
            changed_by=user if getattr(user, "is_authenticated", False) else None,
            channel=channel,
        )
    return locked


@transaction.atomic
def cancel_event(*, event: DREvent, reason: str, user, now: dt.datetime) -> DREvent:
    event = DREvent.objects.select_for_update().get(pk=event.pk)
    if event.status not in (DREvent.Status.DRAFT, *LIVE):
        raise DemandResponseError(_("A completed or settled event cannot be cancelled."), code="not_cancellable")
    if not reason.strip():
        raise DemandResponseError(_("Say why the event is cancelled."), code="reason", field="reason")
    was_dispatched = event.status != DREvent.Status.DRAFT
    event.status, event.cancelled_at, event.cancel_reason = DREvent.Status.CANCELLED, now, reason.strip()[:300]
    event.save(update_fields=["status", "cancelled_at", "cancel_reason", "modified_at"])
    if was_dispatched:
        enqueue_on_commit(
            "services.notify_dr_event", queue="notify", kwargs={"event_id": event.pk, "what": "cancelled"}
        )
        # OpenADR has no cancellation: the event is deleted for its subscribers.
        enqueue_on_commit(
            "services.openadr_notify_event", queue="notify", kwargs={"event_id": event.pk, "operation": "DELETE"}
        )
    return event


def advance_events(*, now: dt.datetime) -> dict[str, int]:
    """The beat's move of events whose start or end has come."""
    started = DREvent.objects.filter(status=DREvent.Status.SCHEDULED, start__lte=now).update(
        status=DREvent.Status.ACTIVE
    )
    ended = DREvent.objects.filter(status=DREvent.Status.ACTIVE, end__lte=now).update(status=DREvent.Status.COMPLETED)
    return {"started": started, "completed": ended}


def notify_event_participants(*, event: DREvent, what: str) -> int:
    """Inbox + SMS/e-mail (by preference) to every bound user of every invited account, once per event
    and kind of notice (the notification's unique event key)."""
    local_start, local_end = event.start.astimezone(SHANGHAI), event.end.astimezone(SHANGHAI)
    when = f"{local_start:%m月%d日 %H:%M}–{local_end:%H:%M}"
    deadline = f"{event.response_deadline.astimezone(SHANGHAI):%m月%d日 %H:%M}"
    direction = "削峰（减少用电）" if event.program.is_peak_shaving else "填谷（增加用电）"
    sent = 0
    participations = event.participations.select_related("account")
    for participation in participations:
        users = [
            b.user for b in PortalBinding.objects.filter(account_id=participation.account_id).select_related("user")
        ]
        if what == "cancelled":
            title = f"需求响应已取消：{when}"
            body = f"{event.program.name}：原定 {when} 的{direction}响应已取消（{event.cancel_reason}）。"
        elif participation.response == DRParticipation.Response.OPTED_IN and event.program.notice_class == "contracted":
            title = f"需求响应通知：{when}"
            body = f"{event.program.name}：请在 {when} {direction}，约定 {participation.committed_kw:f} 千瓦。如不能参加，请在 {deadline} 前告知。"
        else:
            title = f"需求响应邀约：{when}"
            body = f"{event.program.name}邀请您在 {when} {direction}，约定 {participation.committed_kw:f} 千瓦。请在 {deadline} 前确认是否参加。"
        sent += len(
            notify(
                users=users,
                kind="demand_response",
                event_key=f"dr:{event.pk}:{what}:{participation.account_id}",
                title=title,
                body=body,
                link=f"/demand-response/events/{event.pk}/",
            )
        )
    return sent
