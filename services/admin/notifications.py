"""Staff console for notifications: the inbox entries the services wrote and each delivery's outcome
(SMS, e-mail), read-only; a notification may be deleted."""

from django.contrib import admin

from core.web.admin import ReadOnlyTabularInline
from services.models import Notification, NotificationDelivery


class DeliveryInline(ReadOnlyTabularInline):
    model = NotificationDelivery
    fields = ["channel", "status", "attempts", "last_error", "sent_at"]
    readonly_fields = fields  # type: ignore[assignment]  # flat names; the stubs type fields as field groups


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "title", "read_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["event_key", "title", "user__username"]
    inlines = [DeliveryInline]
    readonly_fields = ["user", "kind", "event_key", "title", "body", "link", "created_at", "read_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
