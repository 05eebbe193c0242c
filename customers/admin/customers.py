"""Customers in the staff console. Writes go through customers.services.records so every change is
validated and audited; personal data is masked unless a permitted user presses "Reveal" (one audited
service call)."""

from __future__ import annotations

from typing import TypedDict

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import WithAnnotations

from customers.access import customers_visible_to
from customers.forms.staff import CustomerAdminForm
from customers.models import Account, Customer, Interaction
from customers.selectors.customers import customers_by_identifier
from customers.services import records


class _AccountCount(TypedDict):
    _account_count: int


class AccountInline(admin.TabularInline):
    model = Account
    fields = ["number", "category", "voltage_level", "contracted_kva", "status", "area"]
    readonly_fields = fields  # type: ignore[assignment]  # flat names; the stubs type fields as field groups
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class InteractionInline(admin.TabularInline):
    model = Interaction
    fields = ["occurred_at", "channel", "topic", "account", "staff"]
    readonly_fields = fields  # type: ignore[assignment]  # flat names; the stubs type fields as field groups
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-occurred_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = ["name", "kind", "phone_masked", "id_number_masked", "account_count", "created_at"]
    list_filter = ["kind", "tags", "created_at"]
    search_fields = ["name"]
    search_help_text = _(
        "Search by name (contains), account number (10 digits), or the exact mobile number / ID number / credit code."
    )
    filter_horizontal = ["tags"]
    readonly_fields = ["public_id", "masked_personal_data", "created_at", "updated_at"]
    inlines = [AccountInline, InteractionInline]
    list_per_page = 50

    def get_fieldsets(self, request, obj=None):
        pii = ["id_number", "phone", "email", "address"]
        if obj is None:
            return [(None, {"fields": ["kind", "name", *pii, "tags"]})]
        return [
            (None, {"fields": ["public_id", "kind", "name", "tags"]}),
            (_("Personal data (masked)"), {"fields": ["masked_personal_data", *pii]}),
            (_("History"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
        ]

    def get_queryset(self, request):
        # A correlated count per row: only the page's 50 rows are counted, where Count("accounts") grouped
        # every customer before the LIMIT (and made the paginator's COUNT a grouped subquery too).
        accounts = Account.objects.filter(customer=OuterRef("pk")).order_by().values("customer")
        return customers_visible_to(user=request.user).annotate(
            _account_count=Coalesce(Subquery(accounts.annotate(n=Count("*")).values("n")), 0)
        )

    def get_search_results(self, request, queryset, search_term):
        found = customers_by_identifier(queryset=queryset, term=search_term)
        if found is not None:
            return found
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("mobile"))
    def phone_masked(self, obj: Customer) -> str:
        return obj.masked_phone

    @admin.display(description=_("ID number / credit code"))
    def id_number_masked(self, obj: Customer) -> str:
        return obj.masked_id_number

    @admin.display(description=_("accounts"), ordering="_account_count")
    def account_count(self, obj: WithAnnotations[Customer, _AccountCount]) -> int:
        return obj._account_count

    @admin.display(description=_("Current values"))
    def masked_personal_data(self, obj: Customer) -> str:
        masked = records.masked_pii(customer=obj)
        return format_html(
            "{}: {}<br>{}: {}<br>{}: {}<br>{}: {}",
            _("ID number"),
            masked["id_number"] or "—",
            _("Mobile"),
            masked["phone"] or "—",
            _("E-mail"),
            masked["email"] or "—",
            _("Address"),
            masked["address"] or "—",
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The template shows a "Reveal" button only to users who hold the permission.
        extra_context = {
            **(extra_context or {}),
            "can_reveal_pii": request.user.has_perm("customers.reveal_customer_pii"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        custom = [
            path(
                "<path:object_id>/reveal/",
                self.admin_site.admin_view(self.reveal_view),
                name="customers_customer_reveal",
            )
        ]
        return custom + super().get_urls()

    def reveal_view(self, request, object_id):
        if request.method != "POST":
            raise PermissionDenied
        customer = get_object_or_404(self.get_queryset(request), pk=object_id)
        try:
            revealed = records.reveal_customer_pii(actor=request.user, customer=customer, request=request)
        except records.RevealDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        context = {
            **self.admin_site.each_context(request),
            "title": _("Personal data of %(name)s") % {"name": customer.name},
            "customer": customer,
            "revealed": revealed,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/customers/customer/reveal.html", context)

    def save_model(self, request, obj, form, change):
        changed = sorted({*form.changed_data, *form.changed_pii_fields})
        records.save_customer(actor=request.user, customer=obj, changed_fields=changed, request=request)

    def delete_model(self, request, obj):
        records.delete_record(actor=request.user, record=obj, request=request)

    def delete_queryset(self, request, queryset):
        records.delete_records(actor=request.user, records=queryset, request=request)
