"""Staff console for outage notices: drafting, and publish / restore actions that notify the affected
business-hall users through the outage services."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core import clock
from services.actions.outages import BulkOutcome, publish_outages, restore_outages
from services.models import OutageNotice


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

    def _report(self, request, outcome: BulkOutcome, done_message) -> None:
        for notice, reasons in outcome.refused:
            messages.error(request, f"{notice}: {'; '.join(reasons)}")
        messages.success(request, done_message % {"count": outcome.notified})

    @admin.action(description=_("Publish and notify affected customers"), permissions=["change"])
    def publish_selected(self, request, queryset):
        outcome = publish_outages(actor=request.user, notices=queryset, as_of=clock.now())
        self._report(request, outcome, _("%(count)d customer(s) notified."))

    @admin.action(description=_("Power restored: close and notify"), permissions=["change"])
    def restore_selected(self, request, queryset):
        outcome = restore_outages(actor=request.user, notices=queryset, as_of=clock.now())
        self._report(request, outcome, _("%(count)d customer(s) notified of the restoration."))
