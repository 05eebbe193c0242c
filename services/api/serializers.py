"""Serializers of the services app's API (/api/v1/): the service catalogue and service requests,
knowledge articles, outage notices and notifications.

Labels are stored as English source strings in the catalogue rows and translated on the way out
(``gettext``), so an integrator and the hall read them in the caller's language.

Personal answers (the form fields marked ``pii``) are decrypted here only for the applicant; staff
always get them masked, and read them in clear through the audited ``reveal`` action.
"""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Feeder, TransformerArea
from services import catalogue
from services.actions.knowledge import render_markdown
from services.actions.requests import allowed_transitions
from services.models import (
    Article,
    Notification,
    OutageNotice,
    RequestAttachment,
    RequestEvent,
    RequestStep,
    ServiceRequest,
    ServiceType,
    WorkflowStep,
    WorkflowTransition,
)
from services.selectors.catalogue import document_label
from services.selectors.requests import masked_private_answers, private_answers
from services.sla import due_day


def _translated(value: str) -> str:
    return gettext(value) if value else ""


def _user_label(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- catalogue ---------------------------------------------------------------------------------------


class DocumentSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field's attribute


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field's attribute


class FormFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field's attribute
    kind = serializers.CharField(help_text="text, textarea, decimal, date, choice, tariff, area, phone, id_number")
    required = serializers.BooleanField()  # type: ignore[assignment]  # a declared field, not Field's attribute
    choices = ChoiceSerializer(many=True)
    help = serializers.CharField(allow_blank=True)
    pii = serializers.BooleanField(help_text="Kept encrypted; shown masked to staff.")


class RecordSpecSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field's attribute


def _records(names) -> list[dict]:
    return [{"name": name, "label": str(catalogue.RECORDS.get(name, name))} for name in names or []]


class WorkflowStepSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    records = serializers.SerializerMethodField()
    sla_by_field = serializers.SerializerMethodField()

    class Meta:
        model = WorkflowStep
        fields = ["code", "name", "role", "sla_days", "sla_by_field", "records", "terminal"]

    def get_name(self, step: WorkflowStep) -> str:
        return _translated(step.name)

    @extend_schema_field(RecordSpecSerializer(many=True))
    def get_records(self, step: WorkflowStep) -> list[dict]:
        return _records(step.records)

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "description": "A form answer that changes the time limit: the field and days per answer.",
            "properties": {
                "field": {"type": "string"},
                "days": {"type": "object", "additionalProperties": {"type": "integer"}},
            },
        }
    )
    def get_sla_by_field(self, step: WorkflowStep) -> dict | None:
        if not step.sla_by_field:
            return None
        field_name, overrides = step.sla_by_field
        return {"field": field_name, "days": {value: days for value, days in overrides}}


class WorkflowTransitionSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # a declared field, not Field's attribute

    class Meta:
        model = WorkflowTransition
        fields = ["source", "target", "action", "label", "roles", "guard", "note_required"]

    def get_label(self, transition: WorkflowTransition) -> str:
        return _translated(transition.label)


class ServiceTypeSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    form_fields = serializers.SerializerMethodField()
    required_documents = serializers.SerializerMethodField()
    optional_documents = serializers.SerializerMethodField()
    steps = WorkflowStepSerializer(many=True)
    transitions = WorkflowTransitionSerializer(many=True)

    class Meta:
        model = ServiceType
        fields = [
            "code",
            "name",
            "group",
            "description",
            "needs_account",
            "staff_only",
            "effect",
            "total_sla_days",
            "form_fields",
            "required_documents",
            "optional_documents",
            "steps",
            "transitions",
        ]

    def get_name(self, service_type: ServiceType) -> str:
        return _translated(service_type.name)

    def get_description(self, service_type: ServiceType) -> str:
        return _translated(service_type.description)

    @extend_schema_field(FormFieldSerializer(many=True))
    def get_form_fields(self, service_type: ServiceType) -> list[dict]:
        return [
            {
                "name": spec["name"],
                "label": _translated(spec.get("label", "")),
                "kind": spec.get("kind", "text"),
                "required": spec.get("required", True),
                "choices": [{"value": value, "label": _translated(label)} for value, label in spec.get("choices", [])],
                "help": _translated(spec.get("help", "")),
                "pii": bool(spec.get("pii")),
            }
            for spec in service_type.form_fields
        ]

    @extend_schema_field(DocumentSerializer(many=True))
    def get_required_documents(self, service_type: ServiceType) -> list[dict]:
        return [{"code": code, "label": document_label(code)} for code in service_type.required_documents]

    @extend_schema_field(DocumentSerializer(many=True))
    def get_optional_documents(self, service_type: ServiceType) -> list[dict]:
        return [{"code": code, "label": document_label(code)} for code in service_type.optional_documents]


# --- requests ----------------------------------------------------------------------------------------


def _step_names(service_request: ServiceRequest) -> dict[str, str]:
    """code → translated step name, read once per request (the steps are prefetched)."""
    return {step.code: _translated(step.name) for step in service_request.service_type.steps.all()}


class ServiceRequestListSerializer(serializers.ModelSerializer):
    service_type = serializers.CharField(source="service_type.code")
    service_type_name = serializers.SerializerMethodField()
    status_name = serializers.SerializerMethodField()
    account_number = serializers.CharField(source="account.number", default=None, allow_null=True)
    area = serializers.CharField(source="area.code", default=None, allow_null=True)
    assigned_to = serializers.SerializerMethodField()
    step_due_day = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "number",
            "service_type",
            "service_type_name",
            "status",
            "status_name",
            "account_number",
            "area",
            "assigned_role",
            "assigned_to",
            "step_due_at",
            "step_due_day",
            "due_at",
            "sla_state",
            "submitted_at",
            "accepted_at",
            "closed_at",
            "rating",
        ]

    def get_service_type_name(self, service_request: ServiceRequest) -> str:
        return _translated(service_request.service_type.name)

    def get_status_name(self, service_request: ServiceRequest) -> str:
        return _step_names(service_request).get(service_request.status, service_request.status)

    def get_assigned_to(self, service_request: ServiceRequest) -> str:
        return _user_label(service_request.assigned_to)

    @extend_schema_field(OpenApiTypes.DATE)
    def get_step_due_day(self, service_request: ServiceRequest):
        """The calendar day the current step is due by (``step_due_at`` is the midnight closing it)."""
        return due_day(service_request.step_due_at).isoformat() if service_request.step_due_at else None


class RequestStepSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    due_day = serializers.SerializerMethodField()
    handled_by = serializers.SerializerMethodField()
    on_time = serializers.BooleanField(allow_null=True, read_only=True)

    class Meta:
        model = RequestStep
        fields = [
            "code",
            "name",
            "role",
            "started_at",
            "sla_days",
            "due_at",
            "due_day",
            "finished_at",
            "handled_by",
            "on_time",
        ]

    def get_name(self, step: RequestStep) -> str:
        return _translated(step.name)

    @extend_schema_field(OpenApiTypes.DATE)
    def get_due_day(self, step: RequestStep):
        return due_day(step.due_at).isoformat() if step.due_at else None

    def get_handled_by(self, step: RequestStep) -> str:
        return _user_label(step.handled_by)


class RequestEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = RequestEvent
        fields = ["action", "from_status", "to_status", "actor", "actor_role", "note", "at"]

    def get_actor(self, event: RequestEvent) -> str:
        return _user_label(event.actor)


class AttachmentSerializer(serializers.ModelSerializer):
    document_label = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = RequestAttachment
        fields = [
            "public_id",
            "document_type",
            "document_label",
            "original_name",
            "content_type",
            "size_bytes",
            "sha256",
            "uploaded_at",
            "download_url",
        ]

    def get_document_label(self, attachment: RequestAttachment) -> str:
        return document_label(attachment.document_type)

    def get_download_url(self, attachment: RequestAttachment) -> str:
        return f"/api/v1/service-requests/{attachment.request.number}/attachments/{attachment.public_id}"


class AllowedTransitionSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field's attribute
    target = serializers.CharField()
    target_name = serializers.CharField()
    note_required = serializers.BooleanField()
    guard = serializers.CharField(allow_blank=True)
    records = RecordSpecSerializer(many=True, help_text="Values to send in ``recorded`` when taking this action.")


class ServiceRequestDetailSerializer(ServiceRequestListSerializer):
    """The detail view. ``private_answers`` are in clear for the applicant and masked for everybody else
    (``private_answers_masked`` says which); the serializer needs ``request`` in its context."""

    form_answers = serializers.JSONField(source="form_data", read_only=True)
    private_answers = serializers.SerializerMethodField()
    private_answers_masked = serializers.SerializerMethodField()
    recorded = serializers.JSONField(read_only=True)
    effect_result = serializers.JSONField(read_only=True)
    steps = RequestStepSerializer(many=True)
    events = RequestEventSerializer(many=True)
    attachments = AttachmentSerializer(many=True)
    missing_documents = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta(ServiceRequestListSerializer.Meta):
        fields = [
            *ServiceRequestListSerializer.Meta.fields,
            "rating_comment",
            "rated_at",
            "form_answers",
            "private_answers",
            "private_answers_masked",
            "recorded",
            "effect_result",
            "steps",
            "events",
            "attachments",
            "missing_documents",
            "allowed_transitions",
        ]

    def _caller(self):
        return self.context["request"].user

    def _is_applicant(self, service_request: ServiceRequest) -> bool:
        return self._caller().pk == service_request.applicant_id

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_private_answers(self, service_request: ServiceRequest) -> dict:
        if self._is_applicant(service_request):
            return private_answers(service_request=service_request)
        return masked_private_answers(service_request=service_request)

    def get_private_answers_masked(self, service_request: ServiceRequest) -> bool:
        return not self._is_applicant(service_request)

    @extend_schema_field(DocumentSerializer(many=True))
    def get_missing_documents(self, service_request: ServiceRequest) -> list[dict]:
        have = {attachment.document_type for attachment in service_request.attachments.all()}
        return [
            {"code": code, "label": document_label(code)}
            for code in service_request.service_type.required_documents
            if code not in have
        ]

    @extend_schema_field(AllowedTransitionSerializer(many=True))
    def get_allowed_transitions(self, service_request: ServiceRequest) -> list[dict]:
        steps = {step.code: step for step in service_request.service_type.steps.all()}
        current = steps.get(service_request.status)
        result = []
        for transition in allowed_transitions(user=self._caller(), service_request=service_request):
            target = steps.get(transition.target)
            # Only finishing a step records its values (the engine ignores ``recorded`` otherwise).
            records = current.records if transition.action == "advance" and current is not None else []
            result.append(
                {
                    "action": transition.action,
                    "label": _translated(transition.label),
                    "target": transition.target,
                    "target_name": _translated(target.name) if target else transition.target,
                    "note_required": transition.note_required,
                    "guard": transition.guard,
                    "records": _records(records),
                }
            )
        return result


# --- input -------------------------------------------------------------------------------------------


class ServiceRequestCreateSerializer(serializers.Serializer):
    service_type = serializers.SlugField(max_length=40, help_text="A code from /api/v1/service-types.")
    account_number = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed when the type is about an account.",
    )
    form = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000),
        required=False,
        default=dict,
        help_text="Answers by form field name (see the type's form_fields).",
    )


class TransitionInputSerializer(serializers.Serializer):
    action = serializers.SlugField(max_length=20, help_text="One of the request's allowed_transitions.")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    recorded = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=200),
        required=False,
        default=dict,
        help_text="Values the current step records when it is finished (see allowed_transitions[].records).",
    )


class AssignmentInputSerializer(serializers.Serializer):
    assignee = serializers.CharField(
        max_length=150,
        help_text="Username of the staff member whose queue takes the request (they must hold the step's role).",
    )


class RatingInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class AttachmentUploadSerializer(serializers.Serializer):
    document_type = serializers.CharField(max_length=40, help_text="A document code the request's type takes.")
    file = serializers.FileField(help_text="PDF, JPEG or PNG, recognised by its content.")


class RevealedAnswersSerializer(serializers.Serializer):
    number = serializers.CharField()
    private_answers = serializers.DictField(child=serializers.CharField())


# --- knowledge articles ------------------------------------------------------------------------------


class ArticleSerializer(serializers.ModelSerializer):
    body_html = serializers.SerializerMethodField(help_text="The body rendered to safe HTML (all input escaped).")
    url = serializers.SerializerMethodField(help_text="The article's business-hall page.")

    class Meta:
        model = Article
        fields = [
            "id",
            "slug",
            "kind",
            "category",
            "language",
            "title",
            "summary",
            "body",
            "body_html",
            "keywords",
            "service_type_code",
            "order",
            "published_at",
            "updated_at",
            "url",
        ]

    def get_body_html(self, article: Article) -> str:
        return str(render_markdown(article.body))

    def get_url(self, article: Article) -> str:
        return article.get_absolute_url()


# --- outage notices ----------------------------------------------------------------------------------


class OutageNoticeSerializer(serializers.ModelSerializer):
    areas = serializers.SlugRelatedField(
        many=True, slug_field="code", queryset=TransformerArea.objects.all(), required=False
    )
    feeders = serializers.SlugRelatedField(many=True, slug_field="code", queryset=Feeder.objects.all(), required=False)

    class Meta:
        model = OutageNotice
        fields = [
            "id",
            "kind",
            "title",
            "reason",
            "starts_at",
            "expected_end",
            "status",
            "published_at",
            "restored_at",
            "areas",
            "feeders",
        ]
        read_only_fields = ["status", "published_at", "restored_at"]

    def validate(self, attrs: dict) -> dict:
        if attrs["expected_end"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"expected_end": ["The expected end must be after the start."]})
        return attrs


class PublishResultSerializer(serializers.Serializer):
    notified = serializers.IntegerField(help_text="Users notified by this call (0 when they all were already).")
    notice = OutageNoticeSerializer()


# --- notifications -----------------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "created_at", "read_at"]
        read_only_fields = fields


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="Notifications that were unread and are now read.")
