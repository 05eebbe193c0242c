"""Business-hall links in the staff console: account bindings, notification preferences and privacy consents."""

from __future__ import annotations

from django.contrib import admin

from core.web.admin import ReadOnlyAdmin
from customers.models import NotificationPreference, PortalBinding, PrivacyConsent


@admin.register(PortalBinding)
class PortalBindingAdmin(admin.ModelAdmin):
    list_display = ["account", "user", "role", "method", "created_at"]
    list_filter = ["role", "method"]
    search_fields = ["account__number", "user__username"]
    list_select_related = ["account", "user"]
    readonly_fields = ["user", "account", "method", "created_at"]
    fields = ["user", "account", "role", "method", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "channel", "enabled"]
    list_filter = ["kind", "channel", "enabled"]
    search_fields = ["user__username"]


@admin.register(PrivacyConsent)
class PrivacyConsentAdmin(ReadOnlyAdmin):
    """Evidence of consent (PIPL): shown, never edited."""

    list_display = ["user", "notice_version", "accepted_at"]
    list_filter = ["notice_version"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
