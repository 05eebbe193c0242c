"""Celery tasks of the services app: load by id, call one service."""

from celery import shared_task

from core import clock
from services.actions.billing_notices import send_billing_notices
from services.actions.effects import apply_due_changes
from services.actions.notifications import deliver
from services.actions.sla_monitor import check_deadlines


@shared_task(
    name="services.deliver_notification",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
)
def deliver_notification_task(*, delivery_id: int) -> str:
    return deliver(delivery_id=delivery_id).status


@shared_task(name="services.send_billing_notices")
def send_billing_notices_task() -> dict:
    """Daily: reminders for bills due in three days, arrears notices, prepaid low-balance alerts."""
    return send_billing_notices(as_of=clock.now())


@shared_task(name="services.check_service_deadlines")
def check_service_deadlines_task() -> dict:
    """Every 30 minutes: warn on steps due soon, flag breaches and escalate them to area supervisors."""
    report = check_deadlines(as_of=clock.now())
    return {"warned": report.warned, "breached": report.breached, "escalated": report.escalated}


@shared_task(name="services.apply_scheduled_account_changes")
def apply_scheduled_account_changes_task() -> int:
    """Just after midnight: capacity changes and pauses whose effective date has come."""
    return apply_due_changes(as_of=clock.now())
