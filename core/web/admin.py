"""Admin building blocks shared by every app's console."""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyMixin:
    """Rows written only by the system (readings, bills, ledger, results): staff look, never edit."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


class ReadOnlyTabularInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
