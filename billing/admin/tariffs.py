"""Tariffs with their versions (closed and superseded, never deleted), TOU calendars and the accounts'
tariff assignments."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from billing.models import Tariff, TariffAssignment, TariffVersion, TouCalendar, TouWindow


class TariffVersionInline(admin.StackedInline):
    model = TariffVersion
    extra = 0
    fieldsets = [
        (None, {"fields": [("valid_from", "valid_to"), "tou_calendar", "locked_at"]}),
        (
            _("Energy rates (CNY/kWh)"),
            {"fields": ["rate_total", ("rate_sharp", "rate_peak", "rate_flat", "rate_valley")]},
        ),
        (
            _("Tiers (annual kWh)"),
            {"fields": [("tier1_max_kwh", "tier2_max_kwh"), ("tier2_surcharge", "tier3_surcharge")]},
        ),
        (
            _("Two-part, power factor, fixed"),
            {"fields": [("capacity_rate", "demand_rate"), "power_factor_standard", "fixed_monthly"]},
        ),
    ]
    readonly_fields = ["locked_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # versions are closed with valid_to and superseded, never deleted


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "current_rates"]
    list_filter = ["category"]
    search_fields = ["code", "name"]
    inlines = [TariffVersionInline]

    @admin.display(description=_("versions"))
    def current_rates(self, obj: Tariff) -> str:
        return ", ".join(f"{v.valid_from}→{v.valid_to or '…'}" for v in obj.versions.all())


class TouWindowInline(admin.TabularInline):
    model = TouWindow
    extra = 0


@admin.register(TouCalendar)
class TouCalendarAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "default_period"]
    inlines = [TouWindowInline]


@admin.register(TariffAssignment)
class TariffAssignmentAdmin(admin.ModelAdmin):
    list_display = ["account", "tariff", "valid_from", "valid_to", "demand_basis"]
    list_filter = ["tariff", "demand_basis"]
    search_fields = ["account__number"]
    autocomplete_fields = ["account"]
    list_select_related = ["account", "tariff"]
