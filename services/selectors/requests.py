"""Reads for service requests, shared by the business-hall pages, the API and the admin: which requests
and files a user may reach, the accounts they may file for, a customer's requests with their step names
and due days, and one request's answers (personal ones masked), documents and progress timeline.

Everything starts from ``requests_visible_to``, so a customer only ever reads the requests they filed.
Staff appear on the hall's timeline by role, never by name: the customer needs to know which desk has
the request, not who sits at it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from billing.models import Tariff
from customers.access import accounts_visible_to
from customers.models import Account
from security.masking import mask_address, mask_identifier, mask_phone
from security.roles import ROLE_LABELS
from services import catalogue
from services.models import RequestAttachment, RequestStep, ServiceRequest
from services.models.requests import ServiceRequestQuerySet
from services.selectors.catalogue import document_label, step_names
from services.sla import due_day


def requests_visible_to(*, user) -> ServiceRequestQuerySet:
    """Customers see the requests they filed; staff with the view permission see all."""
    if not (user and user.is_authenticated):
        return ServiceRequest.objects.none()
    if user.is_staff:
        if user.has_perm("services.view_servicerequest"):
            return ServiceRequest.objects.all()
        return ServiceRequest.objects.none()
    return ServiceRequest.objects.filter(applicant=user)


def attachment_visible_to(*, user, attachment_public_id) -> RequestAttachment:
    """The attachment if ``user`` may read it (its request is visible to them); DoesNotExist otherwise,
    so another customer's file looks exactly like a missing one."""
    return RequestAttachment.objects.select_related("request").get(
        public_id=attachment_public_id, request__in=requests_visible_to(user=user)
    )


def accounts_for_service(*, user) -> list[Account]:
    """The accounts ``user`` may file a request about: their active or paused ones."""
    return list(accounts_visible_to(user=user).filter(status__in=[Account.Status.ACTIVE, Account.Status.PAUSED]))


def private_answers(*, service_request: ServiceRequest) -> dict:
    """The personal form answers in clear (decrypted): only for the applicant, the completion effects
    and an audited reveal."""
    return json.loads(service_request.private_data) if service_request.private_data else {}


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


def my_requests(*, user) -> ServiceRequestQuerySet:
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


# How each kind of personal answer is masked; anything else (a name, free text) keeps its first character.
_MASKS = {"phone": mask_phone, "id_number": mask_identifier, "textarea": mask_address}


def mask_answer(*, kind: str, value) -> str:
    text = "" if value is None else str(value)
    masker = _MASKS.get(kind)
    if masker is not None:
        return masker(text)
    # A name: the family name stays, the rest is starred.
    return f"{text[:1]}{'*' * max(len(text) - 1, 2)}" if text else ""


def masked_private_answers(*, service_request: ServiceRequest) -> dict[str, str]:
    """The personal answers by field name, masked: what staff read without the audited reveal."""
    kinds = {spec["name"]: spec.get("kind", "text") for spec in service_request.service_type.form_fields}
    return {
        name: mask_answer(kind=kinds.get(name, "text"), value=value)
        for name, value in private_answers(service_request=service_request).items()
    }


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
                result.append(Answer(label, mask_answer(kind=kind, value=private[name]), masked=True))
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
