"""Staff console: line loss per area and day / month, read-only (the figures come from the service)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from analytics.models import AreaLossDay, AreaLossMonth
from core.web.admin import ReadOnlyAdmin


class _AreaLossAdmin(ReadOnlyAdmin):
    list_select_related = ["area", "area__feeder"]
    list_filter = ["flagged", "flag_high", "flag_jump", "flag_negative", "incomplete", "area__feeder", "area"]
    search_fields = ["area__code", "area__name"]
    readonly_fields = [f.name for f in AreaLossDay._meta.fields if f.name not in {"id", "day"}]

    @admin.display(description=_("loss rate"), ordering="loss_rate")
    def rate_percent(self, obj) -> str:
        return "—" if obj.loss_rate is None else f"{obj.loss_rate * 100:.2f} %"

    @admin.display(description=_("completeness (summary / customers)"))
    def completeness(self, obj) -> str:
        return f"{obj.summary_completeness * 100:.1f} % / {obj.customer_completeness * 100:.1f} %"

    @admin.display(description=_("flags"))
    def flags(self, obj) -> str:
        return ", ".join(obj.flag_names) or "—"


@admin.register(AreaLossDay)
class AreaLossDayAdmin(_AreaLossAdmin):
    list_display = ["area", "day", "supplied_kwh", "consumed_kwh", "loss_kwh", "rate_percent", "completeness", "flags"]
    date_hierarchy = "day"
    ordering = ["-day", "area__code"]


@admin.register(AreaLossMonth)
class AreaLossMonthAdmin(_AreaLossAdmin):
    list_display = [
        "area",
        "month",
        "supplied_kwh",
        "consumed_kwh",
        "loss_kwh",
        "rate_percent",
        "completeness",
        "days",
        "flags",
    ]
    date_hierarchy = "month"
    ordering = ["-month", "-loss_rate"]
