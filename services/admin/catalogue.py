"""Staff console for the service catalogue, read-only: the types, steps and transitions as the engine
runs them (edited in services/catalogue.py, reviewed like code)."""

from django.contrib import admin
from django.db.models import Model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.web.admin import ReadOnlyAdmin, ReadOnlyTabularInline, translated_column
from security import roles
from services import catalogue
from services.models import ServiceType, WorkflowStep, WorkflowTransition
from services.selectors.catalogue import group_label


def role_name(role: str) -> str:
    """A staff role's label, or the applicant; never the code."""
    return roles.ROLE_LABELS.get(role) or (gettext(role) if role else "")


class StepInline(ReadOnlyTabularInline):
    model: type[Model] = WorkflowStep  # TransitionInline shows another model
    fields = ["position", "step_name", "role_label", "sla_days", "sla_by_field", "records", "terminal"]
    readonly_fields = fields  # type: ignore[assignment]  # flat names; the stubs type fields as field groups

    @admin.display(description=_("role"))
    def role_label(self, obj) -> str:
        return role_name(obj.role)

    step_name = translated_column("name", description=_("step name"))


class TransitionInline(StepInline):
    model = WorkflowTransition
    fields = ["source_step", "action_label", "target_step", "role_labels", "guard", "note_required"]
    readonly_fields = fields
    action_label = translated_column("label", description=_("label"))

    def get_queryset(self, request):
        # each row names its steps by the type's step list: load it once, not per row
        return super().get_queryset(request).select_related("service_type").prefetch_related("service_type__steps")

    @admin.display(description=_("roles"))
    def role_labels(self, obj) -> str:
        return "、".join(role_name(role) for role in obj.roles)

    @admin.display(description=_("from step"))
    def source_step(self, obj) -> str:
        return _step_name(obj, obj.source)

    @admin.display(description=_("to step"))
    def target_step(self, obj) -> str:
        return _step_name(obj, obj.target)


def _step_name(transition, code: str) -> str:
    step = next((s for s in transition.service_type.steps.all() if s.code == code), None)
    return gettext(step.name) if step else code


class GroupFilter(admin.SimpleListFilter):
    title = _("group")
    parameter_name = "group"

    def lookups(self, request, model_admin):
        codes = ServiceType.objects.order_by("group").values_list("group", flat=True).distinct()
        return [(code, group_label(code)) for code in codes]

    def queryset(self, request, queryset):
        return queryset.filter(group=self.value()) if self.value() else queryset


@admin.register(ServiceType)
class ServiceTypeAdmin(ReadOnlyAdmin):
    """The catalogue as the engine runs it (edited in services/catalogue.py, reviewed like code)."""

    list_display = ["type_name", "code", "group_name", "needs_account", "effect", "total_sla_days", "document_list"]
    list_filter = [GroupFilter, "needs_account"]
    readonly_fields = ["type_name", "type_description", "group_name"]
    fields = [
        "code",
        "type_name",
        "group_name",
        "type_description",
        "form_fields",
        "required_documents",
        "optional_documents",
        "needs_account",
        "effect",
        "total_sla_days",
    ]
    inlines = [StepInline, TransitionInline]
    type_name = translated_column("name", description=_("name"))
    type_description = translated_column("description", description=_("description"))

    @admin.display(description=_("group"), ordering="group")
    def group_name(self, obj) -> str:
        return group_label(obj.group)

    @admin.display(description=_("required documents"))
    def document_list(self, obj) -> str:
        return ", ".join(str(catalogue.DOCUMENTS.get(code, code)) for code in obj.required_documents)
