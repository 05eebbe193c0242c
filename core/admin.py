"""The working calendar in the staff console: staff enter each year's holidays and adjusted working
days as the State Council publishes them; the list warns about years with no schedule yet."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from core.models import CalendarDay
from core.web.admin import warn_missing_schedules


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin[CalendarDay]):
    list_display = ["day", "weekday", "name", "is_working", "note", "updated_by", "updated_at"]
    list_filter = ["is_working", "day"]
    search_fields = ["name", "note"]
    date_hierarchy = "day"
    readonly_fields = ["updated_by", "updated_at"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return ["一", "二", "三", "四", "五", "六", "日"][obj.day.weekday()]

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        obj.updated_by = request.user if request.user.is_authenticated else None
        super().save_model(request, obj, form, change)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        warn_missing_schedules(request)
        return super().changelist_view(request, extra_context)
