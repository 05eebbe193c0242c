"""Accounts (户号) in the staff console; the premise address is masked, writes are validated and audited."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from customers.access import accounts_visible_to
from customers.forms.staff import AccountAdminForm
from customers.models import Account
from customers.services import records


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    form = AccountAdminForm
    list_display = [
        "number",
        "customer",
        "category",
        "voltage_level",
        "contracted_kva",
        "status",
        "area",
        "opened_on",
    ]
    list_filter = ["category", "status", "voltage_level", "area__feeder", "opened_on"]
    search_fields = ["number", "customer__name", "area__code"]
    search_help_text = _("Search by account number, customer name or transformer-area code.")
    list_select_related = ["customer", "area"]
    autocomplete_fields = ["customer", "area"]
    readonly_fields = ["public_id", "premise_address_masked", "created_at", "updated_at"]
    date_hierarchy = "opened_on"

    def get_fields(self, request, obj=None):
        fields = [*self.form.Meta.fields, "premise_address"]
        return fields if obj is None else ["public_id", "premise_address_masked", *fields, "created_at", "updated_at"]

    def get_queryset(self, request):
        return accounts_visible_to(user=request.user)

    @admin.display(description=_("premise address"))
    def premise_address_masked(self, obj: Account) -> str:
        return obj.masked_premise_address

    def save_model(self, request, obj, form, change):
        changed = sorted({*form.changed_data, *form.changed_pii_fields})
        records.save_account(actor=request.user, account=obj, changed_fields=changed, request=request)

    def delete_model(self, request, obj):
        records.delete_record(actor=request.user, record=obj, request=request)

    def delete_queryset(self, request, queryset):
        records.delete_records(actor=request.user, records=queryset, request=request)
