"""Staff console for customer segmentation: runs with their k-selection scores (read-only), and the
accounts of the current runs filtered by segment and exported as CSV or Excel for campaigns.

Exports carry account number, category, area, day type, segment and distance only: no names, phones
or addresses, whatever the viewer's role (campaign lists travel; personal data stays in the console)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from analytics.models import AccountSegment, Segment, SegmentationRun
from analytics.models.segments import DayType
from analytics.selectors.segments import (
    ACCOUNT_EXPORT_HEADERS,
    account_export_rows,
    current_account_segments,
    current_runs,
)
from analytics.views.segments import stamped_download
from core.web.admin import ReadOnlyAdmin, ReadOnlyTabularInline


class SegmentInline(ReadOnlyTabularInline):
    model = Segment
    fields = ["number", "shape", "label", "peak_hour", "size"]
    readonly_fields = fields  # type: ignore[assignment]  # flat names; the stubs type fields as field groups


@admin.register(SegmentationRun)
class SegmentationRunAdmin(ReadOnlyAdmin):
    list_display = [
        "as_of",
        "day_type",
        "window_start",
        "window_end",
        "status",
        "k",
        "accounts_clustered",
        "accounts_skipped",
    ]
    list_filter = ["day_type", "status"]
    readonly_fields = [
        "window_start",
        "window_end",
        "day_type",
        "slots",
        "k",
        "k_fixed",
        "criterion",
        "scores",
        "params",
        "accounts_clustered",
        "accounts_skipped",
        "skipped_reasons",
        "message",
        "status",
        "as_of",
        "created_at",
    ]
    inlines = [SegmentInline]


class SegmentFilter(admin.SimpleListFilter):
    title = _("segment")
    parameter_name = "segment"

    def lookups(self, request, model_admin):
        return [
            (str(segment.pk), f"{run.get_day_type_display()} · {segment.label} ({segment.size})")
            for run in current_runs()
            for segment in run.segments.order_by("number")
        ]

    def queryset(self, request, queryset):
        return queryset.filter(segment_id=self.value()) if self.value() else queryset


class DayTypeFilter(admin.SimpleListFilter):
    title = _("day type")
    parameter_name = "day_type"

    def lookups(self, request, model_admin):
        return DayType.choices

    def queryset(self, request, queryset):
        return queryset.filter(run__day_type=self.value()) if self.value() in DayType.values else queryset


@admin.register(AccountSegment)
class AccountSegmentAdmin(ReadOnlyAdmin):
    """The accounts of the current working-day and weekend runs (older runs stay in their run's record)."""

    list_display = ["account_number", "category", "area", "day_type", "segment_label", "distance_shown"]
    list_filter = [SegmentFilter, DayTypeFilter, "account__category", "account__area__feeder"]
    search_fields = ["account__number"]
    list_select_related = ["account__area", "segment", "run"]
    list_per_page = 100
    actions = ["export_csv", "export_xlsx"]
    fields = ["run", "account", "segment", "distance"]
    readonly_fields = fields  # type: ignore[assignment]  # flat names; the stubs type fields as field groups

    def get_queryset(self, request):
        return current_account_segments().select_related("account__area", "segment", "run")

    @admin.display(description=_("account number"), ordering="account__number")
    def account_number(self, obj: AccountSegment) -> str:
        return obj.account.number

    @admin.display(description=_("category"), ordering="account__category")
    def category(self, obj: AccountSegment) -> str:
        return obj.account.get_category_display()

    @admin.display(description=_("transformer area"), ordering="account__area__code")
    def area(self, obj: AccountSegment) -> str:
        return f"{obj.account.area.code} {obj.account.area.name}"

    @admin.display(description=_("day type"), ordering="run__day_type")
    def day_type(self, obj: AccountSegment) -> str:
        return obj.run.get_day_type_display()

    @admin.display(description=_("segment"), ordering="segment__number")
    def segment_label(self, obj: AccountSegment) -> str:
        return f"{obj.segment.number}. {obj.segment.label}"

    @admin.display(description=_("distance to centroid"), ordering="distance")
    def distance_shown(self, obj: AccountSegment) -> str:
        return f"{obj.distance:.3f}"

    def _export(self, queryset, kind: str):
        return stamped_download(
            kind=kind,
            filename="segment-accounts",
            headers=ACCOUNT_EXPORT_HEADERS,
            rows=account_export_rows(memberships=queryset),
        )

    @admin.action(description=_("Export selected accounts as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return self._export(queryset, "csv")

    @admin.action(description=_("Export selected accounts as Excel"), permissions=["view"])
    def export_xlsx(self, request, queryset):
        return self._export(queryset, "xlsx")
