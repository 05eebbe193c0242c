"""Prepaid accounts (预付费) with the credit left on each."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from billing.models import PrepaidAccount
from billing.services.prepaid import credit


@admin.register(PrepaidAccount)
class PrepaidAccountAdmin(admin.ModelAdmin):
    list_display = ["account", "low_balance_threshold", "credit_left", "created_at"]
    search_fields = ["account__number"]
    autocomplete_fields = ["account"]

    @admin.display(description=_("credit (CNY)"))
    def credit_left(self, obj: PrepaidAccount) -> str:
        return f"{credit(account=obj.account):,.2f}"
