"""Celery tasks of the services app: load by id, call one service."""

from celery import shared_task

from core import clock
from services.actions.notifications import deliver


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

    from services.actions.billing_notices import send_arrears_notices, send_bill_reminders, send_low_balance_alerts

    now = clock.now()
    return {
        "reminders": send_bill_reminders(as_of=now),
        "arrears": send_arrears_notices(as_of=now),
        "low_balance": send_low_balance_alerts(as_of=now),
    }


@shared_task(name="services.check_service_deadlines")
def check_service_deadlines_task() -> dict:
    """Every 30 minutes: warn on steps due soon, flag breaches and escalate them to area supervisors."""

    from services.actions.sla_monitor import check_deadlines

    report = check_deadlines(as_of=clock.now())
    return {"warned": report.warned, "breached": report.breached, "escalated": report.escalated}


@shared_task(name="services.apply_scheduled_account_changes")
def apply_scheduled_account_changes_task() -> int:
    """Just after midnight: capacity changes and pauses whose effective date has come."""

    from services.actions.effects import apply_due_changes

    return apply_due_changes(as_of=clock.now())
