"""Staff console for meters and meter data: batches with their rejected rows, uploads, retries, and
per-day readings with audited edits. Writes go through billing services."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from tempfile import NamedTemporaryFile

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from billing.forms import BillingRunForm, MeterDataUploadForm, ReadingDayForm, ReadingEditForm
from billing.models import (
    Bill,
    BillingRun,
    BillLine,
    BillRead,
    IngestBatch,
    IntervalReading,
    LedgerEntry,
    Meter,
    MeterDayCompleteness,
    Payment,
    PaymentAllocation,
    PrepaidAccount,
    ReadingEdit,
    RegisterRead,
    RejectedRow,
    Tariff,
    TariffAssignment,
    TariffVersion,
    TouCalendar,
    TouWindow,
)
from billing.services.bill_pdf import pdf_filename, render_bill_pdf
from billing.services.bill_review import release_bill, void_and_rebill
from billing.services.billing_run import enqueue_billing_run, start_billing_run
from billing.services.ingest import BatchInputError, create_batch, enqueue_batch
from billing.services.ingest.recovery import retry_batch
from billing.services.payments import reconcile_payment
from billing.services.prepaid import credit
from billing.services.readings import edit_interval_reading
from core import clock
from core.time import SHANGHAI


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin):
    list_display = [
        "meter_no",
        "role",
        "account",
        "area",
        "multiplier",
        "interval_minutes",
        "has_tou_registers",
        "installed_at",
        "removed_at",
        "readings_link",
    ]
    list_filter = ["role", "has_tou_registers", "interval_minutes", "phase", "area__feeder"]
    search_fields = ["meter_no", "account__number", "area__code"]
    list_select_related = ["account", "area"]
    autocomplete_fields = ["account", "area"]
    date_hierarchy = "installed_at"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # meters are removed (removed_at), never deleted: their readings refer to them

    @admin.display(description=_("readings"))
    def readings_link(self, obj: Meter) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:billing_meter_readings", args=[obj.pk]), _("by day"))

    def get_urls(self):
        return [
            path(
                "<int:meter_id>/readings/",
                self.admin_site.admin_view(self.readings_view),
                name="billing_meter_readings",
            ),
            *super().get_urls(),
        ]

    def readings_view(self, request, meter_id: int):
        if not request.user.has_perm("billing.view_intervalreading"):
            raise PermissionDenied
        meter = get_object_or_404(Meter, pk=meter_id)
        day_form = ReadingDayForm(request.GET or None)
        day = day_form.cleaned_data["day"] if day_form.is_valid() else clock.today() - dt.timedelta(days=1)
        edit_form = ReadingEditForm(request.POST or None)
        if request.method == "POST":
            if edit_form.is_valid():
                try:
                    edit_interval_reading(
                        actor=request.user,
                        meter=meter,
                        interval_start=edit_form.cleaned_data["interval_start"],
                        kwh=edit_form.cleaned_data["kwh"],
                        reason=edit_form.cleaned_data["reason"],
                        as_of=clock.now(),
                        request=request,
                    )
                except ValidationError as exc:
                    messages.error(request, "; ".join(exc.messages))
                else:
                    messages.success(request, _("Reading changed and recorded in the audit log."))
                    return redirect(f"{request.path}?day={day.isoformat()}")
            else:
                messages.error(request, _("Enter the new kWh and a reason."))
        start = dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)
        stored = {
            r.interval_start: r
            for r in IntervalReading.objects.filter(
                meter=meter, interval_start__gte=start, interval_start__lt=start + dt.timedelta(days=1)
            )
        }
        step = dt.timedelta(minutes=meter.interval_minutes)
        rows = [(start + i * step, stored.get(start + i * step)) for i in range(int(dt.timedelta(days=1) / step))]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Readings of meter %(meter)s on %(day)s") % {"meter": meter.meter_no, "day": day.isoformat()},
            "opts": self.model._meta,
            "meter": meter,
            "day": day,
            "day_form": day_form if day_form.is_bound else ReadingDayForm(initial={"day": day}),
            "rows": rows,
            "can_edit": request.user.has_perm("billing.add_readingedit"),
            "completeness": MeterDayCompleteness.objects.filter(meter=meter, day=day).first(),
            "edits": ReadingEdit.objects.filter(
                meter=meter, interval_start__gte=start, interval_start__lt=start + dt.timedelta(days=1)
            ).select_related("edited_by"),
        }
        return TemplateResponse(request, "admin/billing/meter/readings.html", context)


@admin.register(RegisterRead)
class RegisterReadAdmin(ReadOnlyAdmin):
    list_display = ["meter", "read_at", "total", "sharp", "peak", "flat", "valley", "quality", "batch"]
    list_filter = ["quality"]
    search_fields = ["meter__meter_no"]
    list_select_related = ["meter"]
    date_hierarchy = "read_at"


class RejectedRowInline(admin.TabularInline):
    model = RejectedRow
    fields = ["line_number", "reason_code", "message", "raw"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["line_number", "id"]
    verbose_name_plural = _("rejected rows (first 100; the full list is under Rejected rows)")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        ids = list(queryset.order_by("line_number", "id").values_list("id", flat=True)[:100])
        return queryset.filter(id__in=ids)


@admin.register(IngestBatch)
class IngestBatchAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "source",
        "filename",
        "layout",
        "status",
        "received",
        "inserted",
        "updated",
        "unchanged",
        "duplicates",
        "rejected_link",
        "estimated",
        "duration",
    ]
    list_filter = ["status", "source", "layout", "created_at"]
    search_fields = ["filename", "content_sha256"]
    date_hierarchy = "created_at"
    inlines = [RejectedRowInline]
    actions = ["retry_selected"]
    change_list_template = "admin/billing/ingestbatch/change_list.html"

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.view_ingestbatch")

    @admin.display(description=_("rejected"), ordering="rejected")
    def rejected_link(self, obj: IngestBatch) -> str:
        if not obj.rejected:
            return "0"
        url = reverse("admin:billing_rejectedrow_changelist") + f"?batch__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, f"{obj.rejected:,}")

    @admin.display(description=_("seconds"))
    def duration(self, obj: IngestBatch) -> str:
        return f"{obj.duration_seconds:.1f}" if obj.duration_seconds is not None else "—"

    @admin.action(description=_("Retry selected batches"), permissions=["add"])
    def retry_selected(self, request, queryset):
        retried = [retry_batch(batch=batch) for batch in queryset.exclude(status=IngestBatch.Status.COMPLETED)]
        messages.info(request, _("%(count)d batch(es) sent to the ingest queue again.") % {"count": len(retried)})

    def has_add_permission(self, request, obj=None) -> bool:
        # "add" here means uploading (through the upload view), not the model form.
        return request.user.has_perm("billing.add_ingestbatch")

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="billing_ingestbatch_upload"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:billing_ingestbatch_upload")

    def upload_view(self, request):
        if not request.user.has_perm("billing.add_ingestbatch"):
            raise PermissionDenied
        form = MeterDataUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            with NamedTemporaryFile(suffix=Path(upload.name).suffix.lower()[:8]) as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
                handle.flush()
                try:
                    batch = create_batch(
                        source=IngestBatch.Source.ADMIN,
                        path=Path(handle.name),
                        filename=upload.name,
                        as_of=clock.now(),
                        created_by=request.user,
                    )
                except BatchInputError as exc:
                    form.add_error("file", str(exc))
                    batch = None
            if batch is not None:
                enqueue_batch(batch=batch)
                messages.success(
                    request,
                    _("Batch #%(id)s queued (%(layout)s). Refresh to follow its progress.")
                    % {"id": batch.pk, "layout": batch.layout},
                )
                return redirect("admin:billing_ingestbatch_change", batch.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Upload meter data"),
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/billing/ingestbatch/upload.html", context)


@admin.register(RejectedRow)
class RejectedRowAdmin(ReadOnlyAdmin):
    list_display = ["batch", "line_number", "reason_code", "message", "raw"]
    list_filter = ["reason_code"]
    search_fields = ["raw", "message"]
    list_select_related = ["batch"]
    list_per_page = 200

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("batch", "line_number", "id")


@admin.register(ReadingEdit)
class ReadingEditAdmin(ReadOnlyAdmin):
    list_display = ["edited_at", "meter", "interval_start", "old_kwh", "new_kwh", "old_quality", "reason", "edited_by"]
    list_filter = ["edited_at"]
    search_fields = ["meter__meter_no", "reason"]
    list_select_related = ["meter", "edited_by"]


@admin.register(MeterDayCompleteness)
class MeterDayCompletenessAdmin(ReadOnlyAdmin):
    list_display = ["meter", "day", "expected", "actual", "estimated", "edited", "percent", "kwh"]
    list_filter = ["day"]
    search_fields = ["meter__meter_no"]
    list_select_related = ["meter"]
    date_hierarchy = "day"

    @admin.display(description=_("present %"))
    def percent(self, obj: MeterDayCompleteness) -> str:
        return f"{obj.percent_present:.1f}"


class TariffVersionInline(admin.StackedInline):
    model = TariffVersion
    extra = 0
    fieldsets = [
        (None, {"fields": [("valid_from", "valid_to"), "tou_calendar", "locked_at"]}),
        (
            _("Energy rates (CNY/kWh)"),
            {"fields": ["rate_total", ("rate_sharp", "rate_peak", "rate_flat", "rate_valley")]},
        ),
        (
            _("Tiers (annual kWh)"),
            {"fields": [("tier1_max_kwh", "tier2_max_kwh"), ("tier2_surcharge", "tier3_surcharge")]},
        ),
        (
            _("Two-part, power factor, fixed"),
            {"fields": [("capacity_rate", "demand_rate"), "power_factor_standard", "fixed_monthly"]},
        ),
    ]
    readonly_fields = ["locked_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # versions are closed with valid_to and superseded, never deleted


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "current_rates"]
    list_filter = ["category"]
    search_fields = ["code", "name"]
    inlines = [TariffVersionInline]

    @admin.display(description=_("versions"))
    def current_rates(self, obj: Tariff) -> str:
        return ", ".join(f"{v.valid_from}→{v.valid_to or '…'}" for v in obj.versions.all())


class TouWindowInline(admin.TabularInline):
    model = TouWindow
    extra = 0


@admin.register(TouCalendar)
class TouCalendarAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "default_period"]
    inlines = [TouWindowInline]


@admin.register(TariffAssignment)
class TariffAssignmentAdmin(admin.ModelAdmin):
    list_display = ["account", "tariff", "valid_from", "valid_to", "demand_basis"]
    list_filter = ["tariff", "demand_basis"]
    search_fields = ["account__number"]
    autocomplete_fields = ["account"]
    list_select_related = ["account", "tariff"]


@admin.register(BillingRun)
class BillingRunAdmin(ReadOnlyAdmin):
    change_list_template = "admin/billing/billingrun/change_list.html"

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.add_billingrun")

    def get_urls(self):
        return [
            path("start/", self.admin_site.admin_view(self.start_view), name="billing_billingrun_start"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:billing_billingrun_start")

    def start_view(self, request):
        if not request.user.has_perm("billing.add_billingrun"):
            raise PermissionDenied
        form = BillingRunForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            start = form.cleaned_data["month"]
            end = (start + dt.timedelta(days=32)).replace(day=1)
            with transaction.atomic():
                run = start_billing_run(period_start=start, period_end=end, as_of=clock.now())
                enqueue_billing_run(run=run)
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
        "finished_at",
    ]
    list_filter = ["status", "period_start"]
    readonly_fields = ["problems"]

    @admin.display(description=_("chunks done"))
    def progress(self, obj: BillingRun) -> str:
        done = obj.chunks.filter(done=True).count()
        return f"{done}/{obj.chunks.count()}"


class BillLineInline(admin.TabularInline):
    model = BillLine
    fields = ["position", "description", "quantity", "unit", "rate", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class BillReadInline(admin.TabularInline):
    model = BillRead
    fields = ["meter", "register", "start_at", "start_value", "end_at", "end_value", "multiplier", "kwh"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


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
        "hold_summary",
        "pdf_link",
        "rebill_link",
    ]
    list_filter = ["status", "period_start", "tariff", "consumption_source"]
    search_fields = ["account__number"]
    list_select_related = ["account", "tariff"]
    inlines = [BillLineInline, BillReadInline]
    actions = ["release_selected"]
    readonly_fields = [f.name for f in Bill._meta.fields]

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.view_bill")

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
        released = 0
        for bill in queryset.filter(status=Bill.Status.HELD):
            release_bill(actor=request.user, bill=bill, as_of=clock.now(), request=request)
            released += 1
        messages.success(request, _("%(count)d bill(s) released.") % {"count": released})

    def get_urls(self):
        return [
            path("<int:bill_id>/rebill/", self.admin_site.admin_view(self.rebill_view), name="billing_bill_rebill"),
            path("<int:bill_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="billing_bill_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, bill_id: int):
        if not request.user.has_perm("billing.view_bill"):
            raise PermissionDenied
        bill = get_object_or_404(Bill.objects.select_related("account__customer", "tariff"), pk=bill_id)
        response = HttpResponse(render_bill_pdf(bill=bill), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{pdf_filename(bill=bill)}"'
        return response

    def rebill_view(self, request, bill_id: int):
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


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["occurred_on", "account", "kind", "amount", "description", "bill", "payment", "is_sandbox"]
    list_filter = ["kind", "is_sandbox", "occurred_on"]
    search_fields = ["account__number", "posting_key"]
    list_select_related = ["account", "bill", "payment"]
    date_hierarchy = "occurred_on"


class PaymentAllocationInline(admin.TabularInline):
    model = PaymentAllocation
    fields = ["bill", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


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
            raise PermissionDenied
        settled = [
            reconcile_payment(payment=p, as_of=clock.now()) for p in queryset.filter(status__in=["pending", "unknown"])
        ]
        messages.info(request, _("%(count)d payment(s) checked with the gateway.") % {"count": len(settled)})


@admin.register(PrepaidAccount)
class PrepaidAccountAdmin(admin.ModelAdmin):
    list_display = ["account", "low_balance_threshold", "credit_left", "created_at"]
    search_fields = ["account__number"]
    autocomplete_fields = ["account"]

    @admin.display(description=_("credit (CNY)"))
    def credit_left(self, obj: PrepaidAccount) -> str:
        return f"{credit(account=obj.account):,.2f}"
