"""The account ledger and payments (with their allocations to bills), written only by the system;
staff may ask the gateway about open payments."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from billing.models import LedgerEntry, Payment, PaymentAllocation
from billing.services.payments import reconcile_open_payments
from core import clock
from core.web.admin import ReadOnlyAdmin, ReadOnlyTabularInline


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["occurred_on", "account", "kind", "amount", "description", "bill", "payment", "is_sandbox"]
    list_filter = ["kind", "is_sandbox", "occurred_on"]
    search_fields = ["account__number", "posting_key"]
    list_select_related = ["account", "bill", "payment"]
    date_hierarchy = "occurred_on"


class PaymentAllocationInline(ReadOnlyTabularInline):
    model = PaymentAllocation
    fields = ["bill", "amount"]
    readonly_fields = fields  # type: ignore[assignment]  # flat names; the stubs type fields as field groups


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "order_no",
        "account",
        "amount",
        "channel",
        "status",
        "is_sandbox",
        "gateway_txn_id",
        "created_at",
        "settled_at",
    ]
    list_filter = ["status", "channel", "is_sandbox", "created_at"]
    search_fields = ["order_no", "gateway_txn_id", "account__number", "reference"]
    list_select_related = ["account"]
    inlines = [PaymentAllocationInline]
    actions = ["reconcile_selected"]

    @admin.action(description=_("Ask the gateway and settle selected pending/unknown payments"))
    def reconcile_selected(self, request, queryset):
        if not request.user.has_perm("billing.change_payment"):
            raise PermissionDenied  # an action, not a page: the page gates do not apply
        checked = reconcile_open_payments(payments=queryset, as_of=clock.now())
        messages.info(request, _("%(count)d payment(s) checked with the gateway.") % {"count": len(checked)})
