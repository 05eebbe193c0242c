"""The CRM in the staff console: the contact log and customer tags."""

from __future__ import annotations

from typing import TypedDict

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import WithAnnotations

from customers.access import customers_visible_to
from customers.models import Interaction, Tag
from customers.services import records


class _CustomerCount(TypedDict):
    _customer_count: int


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "customer", "account", "channel", "topic", "staff"]
    list_filter = ["channel", "occurred_at"]
    search_fields = ["topic", "customer__name", "account__number"]
    list_select_related = ["customer", "account", "staff"]
    autocomplete_fields = ["customer", "account"]
    readonly_fields = ["staff"]
    date_hierarchy = "occurred_at"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(customer__in=customers_visible_to(user=request.user))

    def save_model(self, request, obj, form, change):
        if obj.staff_id is None:
            obj.staff = request.user
        records.record_interaction(actor=request.user, interaction=obj, request=request)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "customer_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_customer_count=Count("customers"))

    @admin.display(description=_("customers"), ordering="_customer_count")
    def customer_count(self, obj: WithAnnotations[Tag, _CustomerCount]) -> int:
        return obj._customer_count
