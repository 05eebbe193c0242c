"""Staff console of the OpenADR VTN: client credentials (create — the secret shown once —, rotate,
revoke), VEN registrations and their resources (bound to the accounts and meters they act for),
reports received with the VEN's figures beside the meter's, and the webhook delivery log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from core import clock
from core.web.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from services.actions.openadr.credentials import create_client, revoke_client, rotate_secret
from services.actions.openadr.webhook import retry_now
from services.models import OadrClient, Subscription, Ven, VenReading, VenReport, VenResource, WebhookDelivery
from services.selectors.openadr import ven_vs_meter


class OadrClientForm(forms.ModelForm):
    class Meta:
        model = OadrClient
        fields = ["name", "role"]


@admin.register(OadrClient)
class OadrClientAdmin(admin.ModelAdmin):
    form = OadrClientForm
    list_display = ["name", "role", "client_id", "created_at", "rotated_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["name", "application__client_id"]
    actions = ["rotate", "revoke"]

    def get_readonly_fields(self, request, obj=None):
        return ["name", "role", "client_id", "created_by", "created_at", "rotated_at", "revoked_at"] if obj else []

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        client, secret = create_client(
            role=form.cleaned_data["role"], name=form.cleaned_data["name"], user=request.user, now=clock.now()
        )
        obj.__dict__.update({k: v for k, v in client.__dict__.items() if not k.startswith("_")})
        obj._state = client._state
        messages.warning(
            request,
            _("Client id %(id)s, secret %(secret)s — copy the secret now: it is stored hashed and never shown again.")
            % {"id": client.client_id, "secret": secret},
        )

    @admin.action(description=_("Rotate the secret (old tokens end)"))
    def rotate(self, request, queryset):
        for client in queryset:
            secret = rotate_secret(client=client, user=request.user, now=clock.now())
            messages.warning(
                request,
                _("New secret of %(id)s: %(secret)s — copy it now, it is never shown again.")
                % {"id": client.client_id, "secret": secret},
            )

    @admin.action(description=_("Revoke (no new tokens, current tokens end)"))
    def revoke(self, request, queryset):
        for client in queryset:
            revoke_client(client=client, user=request.user, now=clock.now())
        messages.success(request, _("%(count)s client(s) revoked.") % {"count": queryset.count()})


class ResourceInline(admin.TabularInline):
    model = VenResource
    extra = 0
    fields = ["resource_name", "client_id", "account", "meter", "targets"]
    raw_id_fields = ["account", "meter"]


@admin.register(Ven)
class VenAdmin(admin.ModelAdmin):
    list_display = ["ven_name", "client_id", "targets", "created_at", "modified_at"]
    search_fields = ["ven_name", "client_id"]
    fields = ["ven_name", "client_id", "targets", "attributes", "created_at", "modified_at"]
    readonly_fields = ["created_at", "modified_at"]
    inlines = [ResourceInline]

    def save_model(self, request, obj, form, change):
        now = clock.now()
        obj.modified_at = now
        if not change:
            obj.created_at = now
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        now = clock.now()
        for resource in formset.save(commit=False):
            resource.modified_at = now
            resource.created_at = resource.created_at or now
            resource.client_id = resource.client_id or form.instance.client_id
            resource.save()
        for removed in formset.deleted_objects:
            removed.delete()


@admin.register(VenResource)
class VenResourceAdmin(admin.ModelAdmin):
    list_display = ["resource_name", "ven", "account", "meter", "targets", "modified_at"]
    search_fields = ["resource_name", "ven__ven_name", "account__number"]
    raw_id_fields = ["account", "meter"]
    fields = [
        "ven",
        "resource_name",
        "client_id",
        "account",
        "meter",
        "targets",
        "attributes",
        "created_at",
        "modified_at",
    ]
    readonly_fields = ["created_at", "modified_at"]

    def save_model(self, request, obj, form, change):
        now = clock.now()
        obj.modified_at = now
        if not change:
            obj.created_at = now
        super().save_model(request, obj, form, change)


class ReadingInline(ReadOnlyTabularInline):
    model = VenReading
    readonly_fields = ["resource", "account", "kind", "interval_start", "interval_end", "value", "kwh"]
    fields = tuple(readonly_fields)


@admin.register(VenReport)
class VenReportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "client_name", "report_name", "event", "ven"]
    list_filter = ["created_at"]
    search_fields = ["client_name", "report_name", "client_id"]
    readonly_fields = [
        "event",
        "ven",
        "client_id",
        "client_name",
        "report_name",
        "created_at",
        "modified_at",
        "compared",
    ]
    fields = tuple(readonly_fields)
    inlines = [ReadingInline]

    @admin.display(description=_("VEN usage beside the meter (kWh)"))
    def compared(self, obj):
        rows = [
            (
                account.account_number,
                f"{account.ven_total_kwh:.3f}",
                "—" if account.meter_total_kwh is None else f"{account.meter_total_kwh:.3f}",
            )
            for account in ven_vs_meter(event=obj.event)
        ]
        if not rows:
            return "—"
        return format_html_join("", "<div>{}: VEN {} · meter {}</div>", rows)


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "client_name", "client_id", "program"]
    search_fields = ["client_name", "client_id"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "operation", "object_type", "object_id", "client_id", "status", "attempts", "last_status_code", "last_error"]  # fmt: skip
    list_filter = ["status", "object_type", "operation"]
    search_fields = ["client_id", "object_id", "callback_url"]
    exclude = ["bearer_token"]
    actions = ["retry"]

    @admin.action(description=_("Retry now"))
    def retry(self, request, queryset):
        delivered = retry_now(delivery_ids=list(queryset.values_list("pk", flat=True)), now=clock.now())
        messages.info(request, _("%(count)s delivered.") % {"count": delivered})

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None  # the list (and its retry action), never an edit
