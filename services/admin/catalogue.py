"""Staff console for the service catalogue, read-only: the types, steps and transitions as the engine
runs them (edited in services/catalogue.py, reviewed like code)."""

from django.contrib import admin
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from core.web.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from services import catalogue
from services.models import ServiceType, WorkflowStep, WorkflowTransition


class StepInline(ReadOnlyTabularInline):
    model: type[Model] = WorkflowStep  # TransitionInline shows another model
    fields = ["position", "code", "name", "role", "sla_days", "sla_by_field", "records", "terminal"]
    readonly_fields = fields  # type: ignore[assignment]  # flat names; the stubs type fields as field groups


class TransitionInline(StepInline):
    model = WorkflowTransition
    fields = ["source", "action", "target", "label", "roles", "guard", "note_required"]
    readonly_fields = fields


@admin.register(ServiceType)
class ServiceTypeAdmin(ReadOnlyAdmin):
    """The catalogue as the engine runs it (edited in services/catalogue.py, reviewed like code)."""

    list_display = ["name", "code", "group", "needs_account", "effect", "total_sla_days", "document_list"]
    list_filter = ["group", "needs_account"]
    fields = [
        "code",
        "name",
        "group",
        "description",
        "form_fields",
        "required_documents",
        "optional_documents",
        "needs_account",
        "effect",
        "total_sla_days",
    ]
    inlines = [StepInline, TransitionInline]

    @admin.display(description=_("required documents"))
    def document_list(self, obj) -> str:
        return ", ".join(str(catalogue.DOCUMENTS.get(code, code)) for code in obj.required_documents)
