"""The grid topology in the staff console: feeders and transformer areas (台区)."""

from __future__ import annotations

from typing import TypedDict

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import WithAnnotations

from customers.models import Feeder, TransformerArea


class _AreaCount(TypedDict):
    _area_count: int


class _AccountCount(TypedDict):
    _account_count: int


@admin.register(Feeder)
class FeederAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "substation", "voltage_kv", "area_count"]
    search_fields = ["code", "name", "substation"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_area_count=Count("areas"))

    @admin.display(description=_("transformer areas"), ordering="_area_count")
    def area_count(self, obj: WithAnnotations[Feeder, _AreaCount]) -> int:
        return obj._area_count


@admin.register(TransformerArea)
class TransformerAreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "feeder", "district", "transformer_kva", "supervisor", "account_count"]
    list_filter = ["feeder", "district"]
    search_fields = ["code", "name", "feeder__code"]
    list_select_related = ["feeder", "supervisor"]
    autocomplete_fields = ["feeder"]
    raw_id_fields = ["supervisor"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_account_count=Count("accounts"))

    @admin.display(description=_("accounts"), ordering="_account_count")
    def account_count(self, obj: WithAnnotations[TransformerArea, _AccountCount]) -> int:
        return obj._account_count
