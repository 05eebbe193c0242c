"""Staff console for customer records. Querysets come from customers.access; writes go through
customers.services.records so every change is validated and audited; personal data is masked
unless a permitted user presses "Reveal", which is audited too."""

from __future__ import annotations

import re

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from customers.access import accounts_visible_to, customers_visible_to
from customers.forms.staff import AccountAdminForm, CustomerAdminForm
from customers.models import (
    Account,
    Customer,
    Feeder,
    Interaction,
    NotificationPreference,
    PortalBinding,
    Tag,
    TransformerArea,
)
from customers.services import records
from security.backends import looks_like_mobile
from security.normalize import normalize_identifier

ID_LIKE = re.compile(r"^[0-9A-Z]{18}$")
ACCOUNT_NUMBER_LIKE = re.compile(r"^\d{10}$")


class AccountInline(admin.TabularInline):
    model = Account
    fields = ["number", "category", "voltage_level", "contracted_kva", "status", "area"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class InteractionInline(admin.TabularInline):
    model = Interaction
    fields = ["occurred_at", "channel", "topic", "account", "staff"]
    readonly_fields = fields
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
        return customers_visible_to(user=request.user).annotate(_account_count=Count("accounts"))

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        normalized = normalize_identifier(term)
        if looks_like_mobile(term):
            return queryset.matching("phone", term), False
        if ID_LIKE.match(normalized):
            return queryset.matching("id_number", normalized), False
        if ACCOUNT_NUMBER_LIKE.match(term):
            return queryset.filter(accounts__number=term), True
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("mobile"))
    def phone_masked(self, obj: Customer) -> str:
        return obj.masked_phone

    @admin.display(description=_("ID number / credit code"))
    def id_number_masked(self, obj: Customer) -> str:
        return obj.masked_id_number

    @admin.display(description=_("accounts"), ordering="_account_count")
    def account_count(self, obj: Customer) -> int:
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
        for obj in queryset:
            records.delete_record(actor=request.user, record=obj, request=request)


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
        for obj in queryset:
            records.delete_record(actor=request.user, record=obj, request=request)


@admin.register(Feeder)
class FeederAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "substation", "voltage_kv", "area_count"]
    search_fields = ["code", "name", "substation"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_area_count=Count("areas"))

    @admin.display(description=_("transformer areas"), ordering="_area_count")
    def area_count(self, obj: Feeder) -> int:
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
    def account_count(self, obj: TransformerArea) -> int:
        return obj._account_count


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
    def customer_count(self, obj: Tag) -> int:
        return obj._customer_count


@admin.register(PortalBinding)
class PortalBindingAdmin(admin.ModelAdmin):
    list_display = ["account", "user", "role", "method", "created_at"]
    list_filter = ["role", "method"]
    search_fields = ["account__number", "user__username"]
    list_select_related = ["account", "user"]
    readonly_fields = ["user", "account", "method", "created_at"]
    fields = ["user", "account", "role", "method", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "channel", "enabled"]
    list_filter = ["kind", "channel", "enabled"]
    search_fields = ["user__username"]
