"""Which notices a business-hall user wants, and through which channels."""

from __future__ import annotations

from collections.abc import Iterable

from customers.models import NotificationPreference

PreferenceKey = tuple[str, str]  # (kind, channel)


def all_preference_keys() -> list[PreferenceKey]:
    return [
        (kind, channel)
        for kind in NotificationPreference.Kind.values
        for channel in NotificationPreference.Channel.values
    ]


def get_notification_preferences(*, user) -> dict[PreferenceKey, bool]:
    """Every (kind, channel) pair with its setting; a pair without a stored row is enabled."""
    stored = {
        (row.kind, row.channel): row.enabled
        for row in NotificationPreference.objects.filter(user=user).only("kind", "channel", "enabled")
    }
    return {key: stored.get(key, True) for key in all_preference_keys()}


def set_notification_preferences(*, user, enabled: Iterable[PreferenceKey]) -> dict[PreferenceKey, bool]:
    """Store the full grid: pairs in ``enabled`` on, every other known pair off.

    Writing every pair (one upsert) keeps the result independent of what was stored before.
    Unknown kinds or channels raise ``ValueError`` rather than being silently dropped.
    """
    wanted = set(enabled)
    unknown = wanted - set(all_preference_keys())
    if unknown:
        raise ValueError(f"unknown notification preference(s): {sorted(unknown)}")
    rows = [
        NotificationPreference(user=user, kind=kind, channel=channel, enabled=(kind, channel) in wanted)
        for kind, channel in all_preference_keys()
    ]
    NotificationPreference.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["user", "kind", "channel"], update_fields=["enabled"]
    )
    return {(row.kind, row.channel): row.enabled for row in rows}
