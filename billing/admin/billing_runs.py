"""Billing runs (started here, worked by the billing workers) and the bills they issue: never edited;
held ones are released, wrong ones voided and rebilled (audited); every bill as a PDF."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from billing.forms.billing_runs import BillingRunForm
from billing.models import Bill, BillingRun, BillLine, BillRead
from billing.selectors.overdue import overdue_bills, with_open_amount
from billing.services.bill_pdf import pdf_filename, render_bill_pdf
from billing.services.bill_review import release_bills, void_and_rebill
from billing.services.billing_run import queue_billing_run, redrive_billing_run
from core import clock
from core.months import next_month
from core.web.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from core.web.gates import staff_permission_required


@admin.register(BillingRun)
class BillingRunAdmin(ReadOnlyAdmin):
    change_list_template = "admin/billing/billingrun/change_list.html"

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.add_billingrun")

    def get_urls(self):
        start = staff_permission_required("billing.add_billingrun")(self.start_view)
        return [
            path("start/", self.admin_site.admin_view(start), name="billing_billingrun_start"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:billing_billingrun_start")

    def start_view(self, request):
        form = BillingRunForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            start = form.cleaned_data["month"]
            run = queue_billing_run(period_start=start, period_end=next_month(start), as_of=clock.now())
            messages.success(
                request,
                _("Billing run #%(id)s for %(month)s started on the billing workers.")
                % {"id": run.pk, "month": f"{start:%Y-%m}"},
            )
            return redirect("admin:billing_billingrun_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Start a billing run"),
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/billing/billingrun/start.html", context)

    list_display = [
        "id",
        "period_start",
        "period_end",
        "status",
        "accounts",
        "issued",
        "held",
        "existing",
        "skipped",
        "progress",
        "created_at",
        "heartbeat_at",
        "redriven",
        "finished_at",
    ]
    list_filter = ["status", "period_start"]
    readonly_fields = ["problems"]
    actions = ["resume_selected"]

    @admin.action(description=_("Resume selected runs on the billing workers"), permissions=["add"])
    def resume_selected(self, request, queryset):
        resumed = [run.pk for run in queryset if redrive_billing_run(run=run)]
        if resumed:
            messages.success(
                request,
                _("Handed to the billing workers again: run(s) %(ids)s.") % {"ids": ", ".join(map(str, resumed))},
            )
        else:
            messages.info(request, _("Nothing to resume: the selected runs are complete."))

    @admin.display(description=_("chunks done"))
    def progress(self, obj: BillingRun) -> str:
        done = obj.chunks.filter(done=True).count()
        return f"{done}/{obj.chunks.count()}"


class BillLineInline(ReadOnlyTabularInline):
    model = BillLine
    fields = ["position", "description", "quantity", "unit", "rate", "amount"]
    readonly_fields = fields  # type: ignore[assignment]  # flat names; the stubs type fields as field groups


class BillReadInline(ReadOnlyTabularInline):
    model = BillRead
    fields = ["meter", "register", "start_at", "start_value", "end_at", "end_value", "multiplier", "kwh"]
    readonly_fields = fields  # type: ignore[assignment]  # flat names; the stubs type fields as field groups


class OverdueFilter(admin.SimpleListFilter):
    """Overdue today, by the one rule every surface uses (billing.selectors.overdue)."""

    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue today")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        overdue = overdue_bills(on=clock.today()).values("pk")
        return queryset.filter(pk__in=overdue) if self.value() == "yes" else queryset.exclude(pk__in=overdue)


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin):
    """Bills are never edited; held ones are released, wrong ones voided and rebilled (audited)."""

    list_display = [
        "account",
        "period_start",
        "revision",
        "status",
        "tariff",
        "total_kwh",
        "amount",
        "due_date",
        "overdue",
        "hold_summary",
        "pdf_link",
        "rebill_link",
    ]
    list_filter = [OverdueFilter, "status", "period_start", "tariff", "consumption_source"]
    search_fields = ["account__number"]
    list_select_related = ["account", "tariff"]
    inlines = [BillLineInline, BillReadInline]
    actions = ["release_selected"]
    readonly_fields = [f.name for f in Bill._meta.fields]

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.view_bill")

    def get_queryset(self, request):
        return with_open_amount(super().get_queryset(request), on=clock.today(), up_to_now=True)

    @admin.display(description=_("overdue"), boolean=True, ordering="overdue_on_day")
    def overdue(self, obj: Bill) -> bool:
        return obj.overdue_on_day  # type: ignore[attr-defined]  # annotated by with_open_amount

    @admin.display(description="PDF")
    def pdf_link(self, obj: Bill) -> str:
        return format_html('<a href="{}">PDF</a>', reverse("admin:billing_bill_pdf", args=[obj.pk]))

    @admin.display(description=_("correct"))
    def rebill_link(self, obj: Bill) -> str:
        if obj.status in (Bill.Status.VOID, Bill.Status.PAID, Bill.Status.PARTIALLY_PAID):
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:billing_bill_rebill", args=[obj.pk]), _("void & rebill")
        )

    @admin.display(description=_("why held"))
    def hold_summary(self, obj: Bill) -> str:
        return "; ".join(reason["message"] for reason in obj.hold_reasons)

    @admin.action(description=_("Release selected held bills (issue them as computed)"))
    def release_selected(self, request, queryset):
        released = release_bills(actor=request.user, bills=queryset, as_of=clock.now(), request=request)
        messages.success(request, _("%(count)d bill(s) released.") % {"count": released})

    def get_urls(self):
        pdf = staff_permission_required("billing.view_bill")(self.pdf_view)
        return [
            path("<int:bill_id>/rebill/", self.admin_site.admin_view(self.rebill_view), name="billing_bill_rebill"),
            path("<int:bill_id>/pdf/", self.admin_site.admin_view(pdf), name="billing_bill_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, bill_id: int):
        bill = get_object_or_404(Bill.objects.select_related("account__customer", "tariff"), pk=bill_id)
        response = HttpResponse(render_bill_pdf(bill=bill), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{pdf_filename(bill=bill)}"'
        return response

    def rebill_view(self, request, bill_id: int):
        """Void the bill and issue its next revision (``void_and_rebill``, which checks the permission)."""
        bill = get_object_or_404(Bill, pk=bill_id)
        if request.method == "POST":
            try:
                new = void_and_rebill(
                    actor=request.user,
                    bill=bill,
                    as_of=clock.now(),
                    reason=request.POST.get("reason", ""),
                    request=request,
                )
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("Bill voided; revision %(rev)d issued (difference %(diff)s CNY).")
                    % {"rev": new.revision, "diff": new.amount - bill.amount},
                )
                return redirect("admin:billing_bill_change", new.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Void and rebill"),
            "opts": self.model._meta,
            "bill": bill,
        }
        return TemplateResponse(request, "admin/billing/bill/rebill.html", context)
