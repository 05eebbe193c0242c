"""Celery tasks of the services app: load by id, call one service."""

import datetime as dt

from celery import shared_task
from django.db import OperationalError

from core import clock
from core.months import add_months
from services.actions.billing_notices import (
    notify_bill_issued,
    notify_bills_issued,
    notify_payment,
    send_billing_notices,
)
from services.actions.calendar_watch import warn_missing_calendar
from services.actions.demand_response.events import advance_events, notify_event_participants
from services.actions.demand_response.settlement import post_availability_payments, settle_due_events
from services.actions.effects import apply_due_changes
from services.actions.notifications import deliver
from services.actions.openadr.notify import notify_event
from services.actions.openadr.webhook import deliver_webhook, retry_due_webhooks
from services.actions.requests import notify_request_event
from services.actions.sla_monitor import check_deadlines
from services.models import DREvent


@shared_task(
    name="services.deliver_notification",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
)
def deliver_notification_task(*, delivery_id: int) -> str:
    return deliver(delivery_id=delivery_id).status


@shared_task(name="services.notify_bill_issued", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def notify_bill_issued_task(*, bill_id: int) -> int:
    """Kept for messages already queued by releases before services.notify_bills_issued took over."""
    return notify_bill_issued(bill_id=bill_id)


@shared_task(name="services.notify_bills_issued", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def notify_bills_issued_task(*, bill_ids: list[int]) -> int:
    """A billing run's chunk (or a rebill) committed: each new bill announced once, prepaid levels checked."""
    return notify_bills_issued(bill_ids=bill_ids, as_of=clock.now())


@shared_task(name="services.notify_payment", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def notify_payment_task(*, payment_id: int) -> int:
    """A payment settled or failed (gateway callback, reconciliation, counter): its notice, once."""
    return notify_payment(payment_id=payment_id, as_of=clock.now())


@shared_task(name="services.notify_request_event", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def notify_request_event_task(*, event_id: int) -> int:
    """A service request's step changed (submitted, accepted, returned, rejected, completed…): tell the applicant."""
    return notify_request_event(event_id=event_id)


@shared_task(name="services.send_billing_notices")
def send_billing_notices_task() -> dict:
    """Daily: reminders for bills due in three days, arrears notices, prepaid low-balance alerts."""
    return send_billing_notices(as_of=clock.now())


@shared_task(name="services.check_service_deadlines")
def check_service_deadlines_task() -> dict:
    """Every 30 minutes: warn on steps due soon, flag breaches and escalate them to area supervisors."""
    report = check_deadlines(as_of=clock.now())
    return {"warned": report.warned, "breached": report.breached, "escalated": report.escalated}


@shared_task(name="services.warn_missing_calendar")
def warn_missing_calendar_task() -> list[int]:
    """Daily: tell the calendar's keepers (weekly) about a year with no holiday schedule."""
    return warn_missing_calendar(today=clock.today())


@shared_task(name="services.apply_scheduled_account_changes")
def apply_scheduled_account_changes_task() -> int:
    """Just after midnight: capacity changes and pauses whose effective date has come."""
    return apply_due_changes(as_of=clock.now())


@shared_task(name="services.notify_dr_event", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def notify_dr_event_task(*, event_id: int, what: str) -> int:
    """Tell every invited account of a demand-response event (dispatched / cancelled), once."""
    return notify_event_participants(event=DREvent.objects.select_related("program").get(pk=event_id), what=what)


@shared_task(name="services.advance_dr_events")
def advance_dr_events_task() -> dict:
    """Every minute: events whose start or end has come move to in progress / completed."""
    return advance_events(now=clock.now())


@shared_task(name="services.settle_dr_events", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def settle_dr_events_task() -> dict:
    """Hourly: settle completed events (again, for the ones still awaiting data)."""
    return settle_due_events(now=clock.now())


@shared_task(name="services.post_dr_availability")
def post_dr_availability_task(*, month: str | None = None) -> int:
    """On the 1st: standby payments of contracted demand-response enrolments for the month just ended."""
    now = clock.now()
    target = dt.date.fromisoformat(month) if month else add_months(clock.today(), -1)
    return post_availability_payments(month=target, now=now)


@shared_task(name="services.openadr_notify_event", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def openadr_notify_event_task(*, event_id: int, operation: str) -> int:
    """OpenADR subscribers of an event staff dispatched (CREATE) or cancelled (DELETE)."""
    event = DREvent.objects.select_related("program").get(pk=event_id)
    return notify_event(event=event, operation=operation, now=clock.now())


@shared_task(
    name="services.openadr_deliver_webhook", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3
)
def openadr_deliver_webhook_task(*, delivery_id: int) -> str:
    """One attempt of one OpenADR webhook; a failure waits for the retry sweep (back-off in the row)."""
    return deliver_webhook(delivery_id=delivery_id, now=clock.now()).status


@shared_task(name="services.openadr_retry_webhooks")
def openadr_retry_webhooks_task() -> int:
    """Every 30 seconds: the OpenADR webhook retries whose back-off has passed."""
    return retry_due_webhooks(now=clock.now())
