"""The one notification service: inbox, SMS and e-mail, per the user's preferences, sent on the
``notify`` queue with retries, and never twice for the same user and event."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models.functions import Now

from core.tasks import enqueue_on_commit
from customers.models import NotificationPreference
from customers.services.preferences import get_notification_preferences
from customers.sms import send_sms
from services.models import Notification, NotificationDelivery

Channel = NotificationPreference.Channel


def notify(*, users: Iterable, kind: str, event_key: str, title: str, body: str, link: str = "") -> list[Notification]:
    """Create the inbox entry and the deliveries of ``event_key`` for each user who has not had it yet;
    returns the notifications created now (an event already notified is skipped, per user)."""
    created = []
    for user in users:
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    user=user, kind=kind, event_key=event_key[:120], title=title[:200], body=body, link=link
                )
        except IntegrityError:
            continue  # this user already had this event
        preferences = get_notification_preferences(user=user)
        deliveries = [
            NotificationDelivery(notification=notification, channel=channel)
            for channel in Channel.values
            if preferences.get((kind, channel), True)
        ]
        NotificationDelivery.objects.bulk_create(deliveries)
        for delivery in NotificationDelivery.objects.filter(notification=notification).exclude(channel=Channel.INBOX):
            enqueue_on_commit("services.deliver_notification", queue="notify", kwargs={"delivery_id": delivery.pk})
        NotificationDelivery.objects.filter(notification=notification, channel=Channel.INBOX).update(
            status=NotificationDelivery.Status.SENT, sent_at=notification.created_at, attempts=1
        )
        created.append(notification)
    return created


def deliver(*, delivery_id: int) -> NotificationDelivery:
    """Send one SMS or e-mail. Idempotent: a delivery already sent is not sent again. A failure is
    recorded (committed) and then re-raised so the task retries with back-off."""
    error: Exception | None = None
    with transaction.atomic():
        delivery = (
            NotificationDelivery.objects.select_for_update().select_related("notification__user").get(pk=delivery_id)
        )
        if delivery.status in (NotificationDelivery.Status.SENT, NotificationDelivery.Status.SKIPPED):
            return delivery
        notification = delivery.notification
        user = notification.user
        address = user.phone if delivery.channel == Channel.SMS else user.email
        delivery.attempts += 1
        if not address:
            delivery.status = NotificationDelivery.Status.SKIPPED
        else:
            try:
                if delivery.channel == Channel.SMS:
                    send_sms(to=address, body=f"【供电营业厅】{notification.title}：{notification.body}"[:300])
                else:
                    send_mail(notification.title, notification.body, settings.DEFAULT_FROM_EMAIL, [address])
            except Exception as exc:  # any backend failure: record it, then let Celery retry
                error = exc
                delivery.status = NotificationDelivery.Status.FAILED
                delivery.last_error = f"{type(exc).__name__}: {exc}"[:300]
            else:
                delivery.status = NotificationDelivery.Status.SENT
                delivery.sent_at = Now()  # the database clock: when the gateway took it
                delivery.last_error = ""
        delivery.save(update_fields=["status", "attempts", "sent_at", "last_error"])
        delivery.refresh_from_db(fields=["sent_at"])
    if error is not None:
        raise error
    return delivery


def mark_read(*, user, notification_ids: Iterable[int], as_of) -> int:
    return Notification.objects.filter(user=user, pk__in=list(notification_ids), read_at__isnull=True).update(
        read_at=as_of
    )


def mark_all_read(*, user, as_of) -> int:
    """Every unread notification of ``user`` read now; returns how many were unread."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=as_of)
