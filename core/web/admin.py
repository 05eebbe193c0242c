"""Admin building blocks shared by every app's console."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest


class ReadOnlyMixin:
    """Rows written only by the system (readings, bills, ledger, results): staff look, never edit."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin[Any]):
    pass


class ReadOnlyTabularInline(ReadOnlyMixin, admin.TabularInline[Any, Any]):
    extra = 0
