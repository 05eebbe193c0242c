"""Staff console for service requests: the work queues, the request page with its timeline, history and
documents, workflow transitions (one on the request page, with a note and the values the step records,
or in bulk from the list), staff coverage of areas, and the scheduled account changes."""

import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import clock
from core.time import local_date
from core.web.admin import ReadOnlyAdmin, ReadOnlyTabularInline, translated_column, warn_missing_schedules
from core.web.gates import staff_permission_required
from services import catalogue, sla
from services.actions.requests import (
    TransitionRefused,
    allowed_transitions,
    assign_requests,
    staff_roles,
    transition_request,
    transition_requests,
)
from services.admin.catalogue import role_name
from services.models import (
    RequestAttachment,
    RequestEvent,
    RequestStep,
    ScheduledAccountChange,
    ServiceRequest,
    StaffCoverage,
    WorkflowStep,
)

CHANGE_PERMISSION = "services.change_servicerequest"


@admin.register(StaffCoverage)
class StaffCoverageAdmin(admin.ModelAdmin):
    list_display = ["user", "area"]
    list_filter = ["area__feeder"]
    search_fields = ["user__username", "area__code", "area__name"]
    autocomplete_fields = ["area"]


# --- work queues -----------------------------------------------------------------------------------


class QueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("mine", _("Assigned to me")),
            ("my_roles", _("Waiting for my roles")),
            ("overdue", _("Overdue")),
            ("due_today", _("Due today")),
            ("open", _("All open")),
        ]

    def queryset(self, request, queryset):
        now = clock.now()
        if self.value() == "mine":
            return queryset.open().filter(assigned_to=request.user)
        if self.value() == "my_roles":
            return queryset.open().filter(assigned_role__in=staff_roles(user=request.user))
        if self.value() == "overdue":
            return queryset.open().filter(Q(step_due_at__lte=now) | Q(due_at__lte=now))
        if self.value() == "due_today":
            today_ends = sla.end_of_day(local_date(now))
            return queryset.open().filter(step_due_at__gt=now, step_due_at__lte=today_ends)
        if self.value() == "open":
            return queryset.open()
        return queryset


class AssignedRoleFilter(admin.SimpleListFilter):
    title = _("assigned role")
    parameter_name = "assigned_role"

    def lookups(self, request, model_admin):
        held = ServiceRequest.objects.exclude(assigned_role="").values_list("assigned_role", flat=True).distinct()
        return sorted(((role, role_name(role)) for role in held), key=lambda pair: str(pair[1]))

    def queryset(self, request, queryset):
        return queryset.filter(assigned_role=self.value()) if self.value() else queryset


class StatusFilter(admin.SimpleListFilter):
    """Status by the step's name in the viewer's language (statuses are step codes of the catalogue)."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        names = dict(WorkflowStep.objects.order_by("position").values_list("code", "name"))
        return sorted(((code, gettext(name)) for code, name in names.items()), key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class StepTimelineInline(ReadOnlyTabularInline):
    model: type[Model] = RequestStep  # the subclasses show other models
    fields = [
        "step_name",
        "role",
        "started_at",
        "sla_days",
        "due_at",
        "finished_at",
        "handled_by",
        "breached_at",
        "escalated_to",
    ]
    readonly_fields = fields  # type: ignore[assignment]  # flat names; the stubs type fields as field groups
    verbose_name_plural = _("progress")
    step_name = translated_column("name", description=_("step name"))


class EventInline(StepTimelineInline):
    model = RequestEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "acting_as", "note"]
    readonly_fields = fields

    @admin.display(description=_("acting as"))
    def acting_as(self, obj) -> str:
        return role_name(obj.actor_role)

    verbose_name_plural = _("history")


class AttachmentInline(StepTimelineInline):
    model = RequestAttachment
    fields = ["document_type", "download", "content_type", "size_bytes", "sha256", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    verbose_name_plural = _("documents")

    @admin.display(description=_("file"))
    def download(self, obj) -> str:
        url = f"/service-requests/{obj.request.number}/files/{obj.public_id}/"
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    """Staff work queues. Transitions are taken on the request page (with a note and the values the step
    records) or in bulk from the list for the steps that need neither."""

    change_form_template = "admin/services/servicerequest/change_form.html"
    list_display = [
        "number",
        "service_type",
        "status_name",
        "account",
        "area",
        "assigned_to",
        "assigned_role_name",
        "step_due_day",
        "sla_state",
        "submitted_at",
        "rating",
    ]
    list_filter = [
        QueueFilter,
        "sla_state",
        "service_type",
        StatusFilter,
        AssignedRoleFilter,
        "area__feeder",
        "area",
        "rating",
        "submitted_at",
    ]
    search_fields = ["number", "account__number"]
    list_select_related = ["service_type", "account", "area", "assigned_to"]
    date_hierarchy = "submitted_at"
    ordering = ["step_due_at"]
    fields = [
        "number",
        "service_type",
        "status_name",
        "applicant",
        "account",
        "area",
        "form_data",
        "recorded",
        "assigned_to",
        "assigned_role_name",
        "step_due_at",
        "due_at",
        "sla_state",
        "submitted_at",
        "accepted_at",
        "closed_at",
        "effect_result",
        "rating",
        "rating_comment",
    ]
    readonly_fields = fields  # type: ignore[assignment]  # flat names; the stubs type fields as field groups
    inlines = [StepTimelineInline, EventInline, AttachmentInline]
    actions = ["assign_to_me", "accept_selected", "finish_step_selected"]

    def has_add_permission(self, request) -> bool:
        return False  # customers file requests in the business hall; staff file on their behalf there

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("assigned role"), ordering="assigned_role")
    def assigned_role_name(self, obj) -> str:
        return role_name(obj.assigned_role)

    @admin.display(description=_("status"))
    def status_name(self, obj) -> str:
        names = {step.code: step.name for step in obj.service_type.steps.all()}
        return gettext(names.get(obj.status, obj.status))

    @admin.display(description=_("step due"), ordering="step_due_at")
    def step_due_day(self, obj) -> dt.date | None:
        return sla.due_day(obj.step_due_at) if obj.step_due_at else None

    def changelist_view(self, request, extra_context=None):
        warn_missing_schedules(request)  # the queue's due dates count working days
        return super().changelist_view(request, extra_context)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("service_type__steps")

    def get_urls(self):
        return [
            path(
                "<int:pk>/transition/",
                self.admin_site.admin_view(staff_permission_required(CHANGE_PERMISSION)(self.transition_view)),
                name="services_servicerequest_transition",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        service_request = get_object_or_404(ServiceRequest, pk=object_id)
        transitions = allowed_transitions(user=request.user, service_request=service_request)
        step = service_request.service_type.steps.filter(code=service_request.status).first()
        extra = {
            "transitions": transitions if request.user.has_perm(CHANGE_PERMISSION) else [],
            "records": [(name, catalogue.RECORDS.get(name, name)) for name in (step.records if step else [])],
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def transition_view(self, request, pk: int):
        if request.method != "POST":
            raise PermissionDenied
        recorded = {key[len("record_") :]: value for key, value in request.POST.items() if key.startswith("record_")}
        try:
            done = transition_request(
                actor=request.user,
                service_request_id=pk,
                action=request.POST.get("action", ""),
                as_of=clock.now(),
                note=request.POST.get("note", ""),
                recorded=recorded,
            )
            messages.success(
                request, gettext("%(number)s is now: %(status)s") % {"number": done.number, "status": done.status}
            )
        except TransitionRefused as refused:
            messages.error(request, refused.message)
        return redirect("admin:services_servicerequest_change", pk)

    def _bulk(self, request, queryset, action: str) -> None:
        result = transition_requests(actor=request.user, service_requests=queryset, action=action, as_of=clock.now())
        for service_request, refused in result.refused:
            messages.error(request, f"{service_request.number}: {refused.message}")
        if result.done:
            messages.success(request, gettext("%(count)d request(s) updated.") % {"count": len(result.done)})

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        result = assign_requests(
            actor=request.user, service_requests=queryset, assignee=request.user, as_of=clock.now()
        )
        for service_request, refused in result.refused:
            messages.error(request, f"{service_request.number}: {refused.message}")

    @admin.action(description=_("Accept (受理) the selected requests"), permissions=["change"])
    def accept_selected(self, request, queryset):
        self._bulk(request, queryset, "accept")

    @admin.action(description=_("Finish the current step (no values to record)"), permissions=["change"])
    def finish_step_selected(self, request, queryset):
        self._bulk(request, queryset, "advance")


@admin.register(ScheduledAccountChange)
class ScheduledAccountChangeAdmin(ReadOnlyAdmin):
    list_display = ["account", "field", "value", "effective_on", "applied_at", "request"]
    list_filter = ["field", "effective_on", ("applied_at", admin.EmptyFieldListFilter)]
    search_fields = ["account__number", "request__number"]
