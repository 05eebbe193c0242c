"""Celery tasks of the services app: load by id, call one service."""

from celery import shared_task

from services.services.notifications import deliver


@shared_task(
    name="services.deliver_notification",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
)
def deliver_notification_task(*, delivery_id: int) -> str:
    return deliver(delivery_id=delivery_id).status
