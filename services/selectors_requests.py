"""Reads for the business hall's service-request pages: the catalogue by group, a customer's requests
with their step names and due days, and one request's answers (personal ones masked), documents and
progress timeline.

Everything starts from services.actions.requests.requests_visible_to, so a customer only ever reads
the requests they filed. Staff appear on the timeline by role, never by name: the customer needs to
know which desk has the request, not who sits at it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from billing.models import Tariff
from security.masking import mask_address, mask_identifier, mask_phone
from security.roles import ROLE_LABELS
from services import catalogue
from services.actions.attachments import document_label
from services.actions.requests import private_answers, requests_visible_to
from services.actions.sla import due_day
from services.models import RequestAttachment, RequestStep, ServiceRequest, ServiceType, WorkflowStep

# The catalogue's groups in the order the hall shows them.
GROUPS = ("connection", "change", "meter", "fault", "feedback", "billing")


def group_label(code: str) -> str:
    labels = {
        "connection": _("New connection"),
        "change": _("Changes to an account"),
        "meter": _("Meter"),
        "fault": _("Faults and repairs"),
        "feedback": _("Questions and complaints"),
        "billing": _("Bills and invoices"),
    }
    return labels.get(code, code)


def role_label(role: str) -> str:
    """Who handled a step, as the customer reads it: the desk's name in the page's language."""
    if role == catalogue.APPLICANT:
        return _("You")
    label = ROLE_LABELS.get(role)
    if not label:
        return _("Power supply company")
    chinese, _sep, english = label.partition(" / ")
    return chinese if (get_language() or "zh-hans").startswith("zh") else (english or chinese)


@dataclass(frozen=True)
class CatalogueEntry:
    service_type: ServiceType
    name: str
    description: str
    required_documents: list[str]
    optional_documents: list[str]


@dataclass(frozen=True)
class CatalogueGroup:
    code: str
    label: str
    entries: list[CatalogueEntry]


def catalogue_groups() -> list[CatalogueGroup]:
    by_group: dict[str, list[CatalogueEntry]] = {}
    for service_type in ServiceType.objects.filter(active=True, staff_only=False).order_by("position"):
        by_group.setdefault(service_type.group, []).append(
            CatalogueEntry(
                service_type=service_type,
                name=_(service_type.name),
                description=_(service_type.description) if service_type.description else "",
                required_documents=[document_label(code) for code in service_type.required_documents],
                optional_documents=[document_label(code) for code in service_type.optional_documents],
            )
        )
    order = [*GROUPS, *sorted(set(by_group) - set(GROUPS))]
    return [CatalogueGroup(code, group_label(code), by_group[code]) for code in order if code in by_group]


def offered_type(*, code: str) -> ServiceType | None:
    return ServiceType.objects.filter(code=code, active=True, staff_only=False).first()


def step_names(*, service_type_ids) -> dict[tuple[int, str], str]:
    """(service type id, step code) → the step's name in the page's language."""
    rows = WorkflowStep.objects.filter(service_type_id__in=set(service_type_ids)).values_list(
        "service_type_id", "code", "name"
    )
    return {(type_id, code): _(name) for type_id, code, name in rows}


@dataclass(frozen=True)
class RequestRow:
    service_request: ServiceRequest
    type_name: str
    status_name: str
    next_due: dt.date | None


def _rows(requests) -> list[RequestRow]:
    requests = list(requests)
    names = step_names(service_type_ids=[r.service_type_id for r in requests])
    return [
        RequestRow(
            service_request=r,
            type_name=_(r.service_type.name),
            status_name=names.get((r.service_type_id, r.status), r.status),
            next_due=due_day(r.step_due_at) if r.step_due_at and not r.is_closed else None,
        )
        for r in requests
    ]


def my_requests(*, user) -> QuerySet[ServiceRequest]:
    return (
        requests_visible_to(user=user).filter(applicant=user).select_related("service_type").order_by("-submitted_at")
    )


def request_rows(*, requests) -> list[RequestRow]:
    return _rows(requests)


def open_request_rows(*, user, limit: int = 5) -> list[RequestRow]:
    return _rows(my_requests(user=user).open()[:limit])


def access_request(*, user, number: str) -> ServiceRequest:
    """The applicant's own request by number; DoesNotExist for anyone else's (the page answers 404)."""
    return (
        requests_visible_to(user=user)
        .filter(applicant=user)
        .select_related("service_type", "account")
        .get(number=number)
    )


# --- one request ------------------------------------------------------------------------------------


def _mask(*, kind: str, value: str) -> str:
    if kind == "id_number":
        return mask_identifier(value)
    if kind == "phone":
        return mask_phone(value)
    if kind == "textarea":
        return mask_address(value)
    # A name: the family name stays, the rest is starred.
    return value[:1] + "*" * max(len(value) - 1, 2)


@dataclass(frozen=True)
class Answer:
    label: str
    value: str
    masked: bool = False


def answers(*, service_request: ServiceRequest) -> list[Answer]:
    """The form answers in the form's order; personal ones masked (the full values stay encrypted)."""
    private = private_answers(service_request=service_request) if service_request.private_data else {}
    result = []
    for spec in service_request.service_type.form_fields:
        name, kind = spec["name"], spec["kind"]
        label = _(spec["label"])
        if spec.get("pii"):
            if name in private:
                result.append(Answer(label, _mask(kind=kind, value=str(private[name])), masked=True))
            continue
        value = service_request.form_data.get(name)
        if value in (None, ""):
            continue
        if kind == "choice":
            value = _(dict(spec.get("choices", [])).get(value, value))
        elif kind == "tariff":
            tariff = Tariff.objects.filter(code=value).first()
            value = f"{tariff.name} ({tariff.code})" if tariff else value
        result.append(Answer(label, str(value)))
    return result


@dataclass(frozen=True)
class DocumentRow:
    attachment: RequestAttachment
    label: str


def documents(*, service_request: ServiceRequest) -> list[DocumentRow]:
    return [
        DocumentRow(attachment, document_label(attachment.document_type))
        for attachment in service_request.attachments.order_by("uploaded_at", "id")
    ]


def missing_documents(*, service_request: ServiceRequest) -> list[str]:
    have = set(service_request.attachments.values_list("document_type", flat=True))
    return [code for code in service_request.service_type.required_documents if code not in have]


@dataclass
class TimelineEntry:
    step: RequestStep
    name: str
    started_at: dt.datetime
    due: dt.date | None
    finished_at: dt.datetime | None
    handler: str
    on_time: bool | None
    notes: list[str] = field(default_factory=list)
    current: bool = False


def timeline(*, service_request: ServiceRequest) -> list[TimelineEntry]:
    """Each stay in a step: started, due day, finished, which desk handled it, and the notes written
    when it ended (a return's reason, the customer's reply on resubmitting)."""
    events = list(service_request.events.order_by("at", "id"))
    entries = []
    for step in service_request.steps.order_by("started_at", "id"):
        closing = [
            e
            for e in events
            if e.from_status == step.code and step.finished_at is not None and e.at == step.finished_at
        ]
        handler_role = closing[0].actor_role if closing and closing[0].actor_role else step.role
        entries.append(
            TimelineEntry(
                step=step,
                name=_(step.name),
                started_at=step.started_at,
                due=due_day(step.due_at) if step.due_at else None,
                finished_at=step.finished_at,
                handler=role_label(handler_role) if (step.finished_at or handler_role) else "",
                on_time=step.on_time,
                notes=[e.note for e in closing if e.note],
                current=step.finished_at is None,
            )
        )
    return entries


def closing_event(*, service_request: ServiceRequest):
    """The event that put a request where it rests now, closed or returned: its note says why it was
    rejected or what the agent still needs."""
    if not (service_request.is_closed or service_request.status == catalogue.RETURNED):
        return None
    return service_request.events.filter(to_status=service_request.status).order_by("-at", "-id").first()


def tariff_choices(*, categories) -> list[tuple[str, str]]:
    return [
        (t.code, f"{t.name} ({t.code})") for t in Tariff.objects.filter(category__in=set(categories)).order_by("code")
    ]


def guides_for(*, service_type: ServiceType) -> list:
    """Published how-to articles linked to this type (知识库 办事指南), for the apply page."""
    from services.models import Article

    return list(Article.objects.published().filter(service_type_code=service_type.code).order_by("order", "title"))
