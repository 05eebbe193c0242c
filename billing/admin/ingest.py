"""Meter-data batches: uploads, progress, rejected rows with their line numbers, and retries."""

from __future__ import annotations

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from billing.forms.meter_data import MeterDataUploadForm
from billing.models import IngestBatch, RejectedRow
from billing.services.ingest import BatchInputError
from billing.services.ingest.recovery import retry_batches
from billing.services.ingest.uploads import submit_uploaded_file
from core import clock
from core.web.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from core.web.gates import staff_permission_required

ERROR_IN_LIST_CHARS = 120


class RejectedRowInline(ReadOnlyTabularInline):
    model = RejectedRow
    fields = ["line_number", "reason_code", "message", "raw"]
    readonly_fields = fields  # type: ignore[assignment]  # flat names; the stubs type fields as field groups
    max_num = 0
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
        "attempts",
        "error_summary",
    ]
    # "Failed" under status: the batches that need a look, each with its error.
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

    @admin.display(description=_("error"))
    def error_summary(self, obj: IngestBatch) -> str:
        # The whole error is on the batch's page; the list shows its start.
        return Truncator(obj.error).chars(ERROR_IN_LIST_CHARS) if obj.error else ""

    @admin.display(description=_("seconds"))
    def duration(self, obj: IngestBatch) -> str:
        return f"{obj.duration_seconds:.1f}" if obj.duration_seconds is not None else "—"

    @admin.action(description=_("Retry selected batches"), permissions=["add"])
    def retry_selected(self, request, queryset):
        retried = retry_batches(batches=queryset)
        messages.info(request, _("%(count)d batch(es) sent to the ingest queue again.") % {"count": len(retried)})

    def has_add_permission(self, request, obj=None) -> bool:
        # "add" here means uploading (through the upload view), not the model form.
        return request.user.has_perm("billing.add_ingestbatch")

    def get_urls(self):
        upload = staff_permission_required("billing.add_ingestbatch")(self.upload_view)
        return [
            path("upload/", self.admin_site.admin_view(upload), name="billing_ingestbatch_upload"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:billing_ingestbatch_upload")

    def upload_view(self, request):
        form = MeterDataUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = submit_uploaded_file(
                    source=IngestBatch.Source.ADMIN, upload=upload, as_of=clock.now(), created_by=request.user
                )
            except BatchInputError as exc:
                form.add_error("file", str(exc))
            else:
                messages.success(
                    request,
                    _("Batch #%(id)s queued (%(layout)s). Refresh to follow its progress.")
                    % {"id": batch.pk, "layout": batch.layout or _("workbook, read on the ingest queue")},
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
