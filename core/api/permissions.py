"""Permissions shared by every app's API."""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import BasePermission


class SchemaReader(BasePermission):
    """The OpenAPI schema and its browser (/api/schema/, /api/docs/): open while ``API_SCHEMA_PUBLIC``
    (development), otherwise staff and signed-in integrators only, never anonymous callers or portal
    customers (the schema is a map of every endpoint and field)."""

    def has_permission(self, request, view) -> bool:
        if settings.API_SCHEMA_PUBLIC:
            return True
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return bool(user.is_staff or getattr(user, "kind", "") != "customer")
