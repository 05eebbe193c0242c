"""Reads behind the inbox page, its API and the header badge: a user's own notifications."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from services.models import Notification


def inbox_for(*, user) -> QuerySet[Notification]:
    """The user's own notifications, unread first, newest first within each."""
    return Notification.objects.filter(user=user).order_by(
        Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()),
        "-created_at",
        "-id",
    )


def unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
