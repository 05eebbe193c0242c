"""Meters, their register reads, and one meter's day of interval readings with audited corrections;
the corrections' log and the daily completeness figures."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from billing.forms.meter_data import ReadingDayForm, ReadingEditForm
from billing.models import Meter, MeterDayCompleteness, ReadingEdit, RegisterRead
from billing.selectors.readings import meter_day_readings
from billing.services.readings import edit_interval_reading
from core import clock
from core.web.admin import ReadOnlyAdmin
from core.web.gates import staff_permission_required


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin):
    list_display = [
        "meter_no",
        "role",
        "account",
        "area",
        "multiplier",
        "interval_minutes",
        "has_tou_registers",
        "installed_at",
        "removed_at",
        "readings_link",
    ]
    list_filter = ["role", "has_tou_registers", "interval_minutes", "phase", "area__feeder"]
    search_fields = ["meter_no", "account__number", "area__code"]
    list_select_related = ["account", "area"]
    autocomplete_fields = ["account", "area"]
    date_hierarchy = "installed_at"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # meters are removed (removed_at), never deleted: their readings refer to them

    @admin.display(description=_("readings"))
    def readings_link(self, obj: Meter) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:billing_meter_readings", args=[obj.pk]), _("by day"))

    def get_urls(self):
        readings = staff_permission_required("billing.view_intervalreading")(self.readings_view)
        return [
            path("<int:meter_id>/readings/", self.admin_site.admin_view(readings), name="billing_meter_readings"),
            *super().get_urls(),
        ]

    def readings_view(self, request, meter_id: int):
        """A day of the meter's intervals; POST corrects one of them (``edit_interval_reading``)."""
        meter = get_object_or_404(Meter, pk=meter_id)
        day_form = ReadingDayForm(request.GET or None)
        day = day_form.cleaned_data["day"] if day_form.is_valid() else clock.today() - dt.timedelta(days=1)
        edit_form = ReadingEditForm(request.POST or None)
        if request.method == "POST":
            if edit_form.is_valid():
                try:
                    edit_interval_reading(
                        actor=request.user,
                        meter=meter,
                        interval_start=edit_form.cleaned_data["interval_start"],
                        kwh=edit_form.cleaned_data["kwh"],
                        reason=edit_form.cleaned_data["reason"],
                        as_of=clock.now(),
                        request=request,
                    )
                except ValidationError as exc:
                    messages.error(request, "; ".join(exc.messages))
                else:
                    messages.success(request, _("Reading changed and recorded in the audit log."))
                    return redirect(f"{request.path}?day={day.isoformat()}")
            else:
                messages.error(request, _("Enter the new kWh and a reason."))
        readings = meter_day_readings(meter=meter, day=day)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Readings of meter %(meter)s on %(day)s") % {"meter": meter.meter_no, "day": day.isoformat()},
            "opts": self.model._meta,
            "meter": meter,
            "day": day,
            "day_form": day_form if day_form.is_bound else ReadingDayForm(initial={"day": day}),
            "rows": readings.rows,
            "can_edit": request.user.has_perm("billing.add_readingedit"),
            "completeness": readings.completeness,
            "edits": readings.edits,
        }
        return TemplateResponse(request, "admin/billing/meter/readings.html", context)


@admin.register(RegisterRead)
class RegisterReadAdmin(ReadOnlyAdmin):
    list_display = ["meter", "read_at", "total", "sharp", "peak", "flat", "valley", "quality", "batch"]
    list_filter = ["quality"]
    search_fields = ["meter__meter_no"]
    list_select_related = ["meter"]
    date_hierarchy = "read_at"


@admin.register(ReadingEdit)
class ReadingEditAdmin(ReadOnlyAdmin):
    list_display = ["edited_at", "meter", "interval_start", "old_kwh", "new_kwh", "old_quality", "reason", "edited_by"]
    list_filter = ["edited_at"]
    search_fields = ["meter__meter_no", "reason"]
    list_select_related = ["meter", "edited_by"]


@admin.register(MeterDayCompleteness)
class MeterDayCompletenessAdmin(ReadOnlyAdmin):
    list_display = ["meter", "day", "expected", "actual", "estimated", "edited", "percent", "kwh"]
    list_filter = ["day"]
    search_fields = ["meter__meter_no"]
    list_select_related = ["meter"]
    date_hierarchy = "day"

    @admin.display(description=_("present %"))
    def percent(self, obj: MeterDayCompleteness) -> str:
        return f"{obj.percent_present:.1f}"
