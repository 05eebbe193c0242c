"""Granting a model permission in a test without trusting the permission table's seeded rows.

A transactional test ends with a flush; whatever restores the seeded rows afterwards (serialized
rollback, post_migrate) has been seen to leave a later test without some of them in CI. Tests that
need a permission therefore make sure of the row themselves, by the model's own content type.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType


def permission(dotted: str) -> Permission:
    """The ``app_label.codename`` permission row, created if the table lost it (``view_<model>`` and
    the other default permissions name their model)."""
    app_label, codename = dotted.split(".", 1)
    model_name = codename.split("_", 1)[1]
    model = apps.get_model(app_label, model_name)
    ContentType.objects.clear_cache()  # a flush may have left cached content types without rows
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    row, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": f"Can {codename.replace('_', ' ')}"}
    )
    return row


def grant(user, *dotted: str):
    """Give ``user`` these permissions and return the user fresh from the database (no perm cache)."""
    user.user_permissions.add(*(permission(name) for name in dotted))
    return type(user).objects.get(pk=user.pk)
