"""Outage notices: publishing one notifies every business-hall user bound to an affected account,
once; restoring it notifies them again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from core.time import SHANGHAI
from customers.models import Account, Feeder, PortalBinding, TransformerArea
from security.models import AuditEvent
from security.services.audit import record_event
from services.actions.notifications import notify
from services.models import OutageNotice


def affected_accounts(*, notice: OutageNotice) -> QuerySet[Account]:
    return Account.objects.filter(Q(area__in=notice.areas.all()) | Q(area__feeder__in=notice.feeders.all())).distinct()


def affected_users(*, notice: OutageNotice):
    user_ids = PortalBinding.objects.filter(account__in=affected_accounts(notice=notice)).values_list(
        "user_id", flat=True
    )
    return get_user_model().objects.filter(pk__in=user_ids, is_active=True)


def _when(notice: OutageNotice) -> str:
    start, end = notice.starts_at.astimezone(SHANGHAI), notice.expected_end.astimezone(SHANGHAI)
    return f"{start:%m月%d日 %H:%M} 至 {end:%m月%d日 %H:%M}"


@transaction.atomic
def draft_outage(
    *,
    actor,
    kind: str,
    title: str,
    reason: str,
    starts_at: dt.datetime,
    expected_end: dt.datetime,
    areas: Iterable[TransformerArea] = (),
    feeders: Iterable[Feeder] = (),
) -> OutageNotice:
    """A draft notice for the affected areas and feeders; nobody is told until it is published."""
    notice = OutageNotice.objects.create(
        kind=kind, title=title, reason=reason, starts_at=starts_at, expected_end=expected_end, created_by=actor
    )
    notice.areas.set(areas)
    notice.feeders.set(feeders)
    return notice


@transaction.atomic
def publish_outage(*, actor, notice: OutageNotice, as_of: dt.datetime) -> int:
    """Publish and notify; returns how many users were notified now (0 when already published)."""
    if not actor.has_perm("services.change_outagenotice"):
        raise PermissionDenied("You may not publish outage notices.")
    notice = OutageNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status not in (OutageNotice.Status.DRAFT, OutageNotice.Status.PUBLISHED):
        raise ValidationError(f"A {notice.get_status_display()} notice cannot be published.")
    if not notice.areas.exists() and not notice.feeders.exists():
        raise ValidationError("Choose the affected feeders or transformer areas first.")
    if notice.status == OutageNotice.Status.DRAFT:
        OutageNotice.objects.filter(pk=notice.pk).update(status=OutageNotice.Status.PUBLISHED, published_at=as_of)
        record_event(action=AuditEvent.Action.UPDATE, actor=actor, target=notice, details={"published": True})
    label = "计划停电" if notice.kind == OutageNotice.Kind.PLANNED else "故障停电"
    sent = notify(
        users=affected_users(notice=notice),
        kind="outage",
        event_key=f"outage:{notice.pk}:published",
        title=f"{label}通知：{notice.title}",
        body=f"{_when(notice)}，原因：{notice.reason}。给您带来不便，敬请谅解。",
        link="/notices/",
    )
    return len(sent)


@transaction.atomic
def restore_outage(*, actor, notice: OutageNotice, as_of: dt.datetime) -> int:
    if not actor.has_perm("services.change_outagenotice"):
        raise PermissionDenied("You may not close outage notices.")
    notice = OutageNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != OutageNotice.Status.PUBLISHED:
        raise ValidationError("Only a published notice can be closed as restored.")
    OutageNotice.objects.filter(pk=notice.pk).update(status=OutageNotice.Status.RESTORED, restored_at=as_of)
    record_event(action=AuditEvent.Action.UPDATE, actor=actor, target=notice, details={"restored": True})
    sent = notify(
        users=affected_users(notice=notice),
        kind="outage",
        event_key=f"outage:{notice.pk}:restored",
        title=f"恢复供电：{notice.title}",
        body=f"已于 {as_of.astimezone(SHANGHAI):%m月%d日 %H:%M} 恢复供电。",
        link="/notices/",
    )
    return len(sent)


@dataclass(frozen=True)
class BulkOutcome:
    """What a publish or restore over several notices did: users notified, and the notices refused
    with the reasons (each notice is its own transaction, so one refusal keeps the others)."""

    notified: int
    refused: list[tuple[OutageNotice, list[str]]]


def _each(*, step: Callable[..., int], actor, notices: Iterable[OutageNotice], as_of: dt.datetime) -> BulkOutcome:
    notified, refused = 0, []
    for notice in notices:
        try:
            notified += step(actor=actor, notice=notice, as_of=as_of)
        except ValidationError as exc:
            refused.append((notice, exc.messages))
    return BulkOutcome(notified=notified, refused=refused)


def publish_outages(*, actor, notices: Iterable[OutageNotice], as_of: dt.datetime) -> BulkOutcome:
    """``publish_outage`` for each notice, in order (the admin's bulk action)."""
    return _each(step=publish_outage, actor=actor, notices=notices, as_of=as_of)


def restore_outages(*, actor, notices: Iterable[OutageNotice], as_of: dt.datetime) -> BulkOutcome:
    """``restore_outage`` for each notice, in order (the admin's bulk action)."""
    return _each(step=restore_outage, actor=actor, notices=notices, as_of=as_of)
