"""Staff console: outage notices (publish / restore notify the affected users) and notifications."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from services.models import Notification, NotificationDelivery, OutageNotice
from services.services.outages import publish_outage, restore_outage


@admin.register(OutageNotice)
class OutageNoticeAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "status", "starts_at", "expected_end", "restored_at", "published_at"]
    list_filter = ["kind", "status", "starts_at"]
    search_fields = ["title", "reason"]
    filter_horizontal = ["feeders", "areas"]
    readonly_fields = ["status", "published_at", "restored_at", "created_by"]
    date_hierarchy = "starts_at"
    actions = ["publish_selected", "restore_selected"]

    def save_model(self, request, obj, form, change):
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def _apply(self, request, queryset, service, done_message):
        total = 0
        for notice in queryset:
            try:
                total += service(actor=request.user, notice=notice, as_of=timezone.now())
            except ValidationError as exc:
                messages.error(request, f"{notice}: {'; '.join(exc.messages)}")
        messages.success(request, done_message % {"count": total})

    @admin.action(description=_("Publish and notify affected customers"), permissions=["change"])
    def publish_selected(self, request, queryset):
        self._apply(request, queryset, publish_outage, _("%(count)d customer(s) notified."))

    @admin.action(description=_("Power restored: close and notify"), permissions=["change"])
    def restore_selected(self, request, queryset):
        self._apply(request, queryset, restore_outage, _("%(count)d customer(s) notified of the restoration."))


class DeliveryInline(admin.TabularInline):
    model = NotificationDelivery
    fields = ["channel", "status", "attempts", "last_error", "sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


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


from services import admin_knowledge  # noqa: E402,F401 - registers the knowledge article admin
