"""The service-request workflow engine: submit, transition (role + guard + history), assign, rate.

It knows nothing about particular request types: the steps, transitions, roles, guards and time limits
come from the ServiceType rows written from services/catalogue.py.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from billing.models import Tariff
from core.tasks import enqueue_on_commit
from core.time import local_date, parse_input_datetime
from customers.access import access_account
from customers.models import TransformerArea
from customers.validators import validate_credit_code, validate_id_number, validate_mobile
from security.normalize import normalize_identifier, normalize_phone
from security.roles import ALL_ROLES
from services import catalogue, sla
from services.actions.effects import EffectError, apply_completion_effect
from services.actions.notifications import notify
from services.models import (
    RequestEvent,
    RequestStep,
    ServiceRequest,
    ServiceType,
    WorkflowTransition,
)


class TransitionRefused(Exception):
    """The actor may not take this action now; ``code`` says why (role, state, guard, note, records)."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


# --- roles ------------------------------------------------------------------------------------------


def staff_roles(*, user) -> set[str]:
    if not (user and user.is_authenticated and user.is_staff and user.is_active):
        return set()
    if user.is_superuser:
        return set(ALL_ROLES)
    return set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))


def actor_roles(*, user, service_request: ServiceRequest) -> set[str]:
    """The roles ``user`` holds on this request: their staff groups, plus the applicant's."""
    held = staff_roles(user=user)
    if user and user.is_authenticated and user.pk == service_request.applicant_id:
        held.add(catalogue.APPLICANT)
    return held


def allowed_transitions(*, user, service_request: ServiceRequest) -> list[WorkflowTransition]:
    """Transitions from the current state this user's roles allow (guards are checked when taken)."""
    held = actor_roles(user=user, service_request=service_request)
    candidates = WorkflowTransition.objects.filter(
        service_type_id=service_request.service_type_id, source=service_request.status
    )
    return [t for t in candidates if held.intersection(t.roles)]


# --- form -------------------------------------------------------------------------------------------


def _clean_value(*, spec: dict, raw) -> object:
    kind, name = spec["kind"], spec["name"]
    text = "" if raw is None else str(raw).strip()
    if not text:
        if spec.get("required", True):
            raise ValidationError({name: _("This field is required.")})
        return None
    if kind == "decimal":
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValidationError({name: _("Enter a number.")}) from None
        if not value.is_finite() or value <= 0 or value >= Decimal("1000000"):
            raise ValidationError({name: _("Enter a positive number below 1,000,000.")})
        return str(value)
    if kind == "date":
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValidationError({name: _("Enter a date as YYYY-MM-DD.")}) from None
    if kind == "choice":
        allowed = [choice[0] for choice in spec.get("choices", [])]
        if text not in allowed:
            raise ValidationError({name: _("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)}})
        return text
    if kind == "phone":
        phone = normalize_phone(text)
        try:
            validate_mobile(phone)
        except ValidationError as error:
            raise ValidationError({name: error.messages}) from None
        return phone
    if kind == "id_number":
        # A person's ID number (身份证号) or an organisation's unified social credit code.
        identifier = normalize_identifier(text)
        try:
            validate_id_number(identifier)
        except ValidationError as id_error:
            try:
                validate_credit_code(identifier)
            except ValidationError:
                raise ValidationError({name: id_error.messages}) from None
        return identifier
    if kind == "tariff":
        if not Tariff.objects.filter(code=text).exists():
            raise ValidationError({name: _("No tariff with code %(code)s.") % {"code": text}})
        return text
    if kind == "area":
        if not TransformerArea.objects.filter(code=text).exists():
            raise ValidationError({name: _("No transformer area with code %(code)s.") % {"code": text}})
        return text
    if len(text) > 2000:
        raise ValidationError({name: _("At most 2,000 characters.")})
    return text


def clean_form(*, service_type: ServiceType, form: dict) -> tuple[dict, dict]:
    """Validate ``form`` against the type's fields; returns (plain answers, personal answers).
    Raises one ValidationError naming every bad field."""
    plain: dict[str, Any] = {}
    private: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for spec in service_type.form_fields:
        try:
            value = _clean_value(spec=spec, raw=form.get(spec["name"]))
        except ValidationError as error:
            errors.update(error.message_dict)
            continue
        if value is not None:
            (private if spec.get("pii") else plain)[spec["name"]] = value
    unknown = sorted(set(form) - {spec["name"] for spec in service_type.form_fields})
    if unknown:
        errors["__all__"] = [_("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)}]
    if errors:
        raise ValidationError(errors)
    return plain, private


# --- routing ----------------------------------------------------------------------------------------


def route(*, service_request: ServiceRequest, role: str):
    """The staff member in ``role`` covering the request's area with the fewest open requests, or
    None: the request then waits in the role's shared queue."""
    if role not in ALL_ROLES or service_request.area_id is None:
        return None
    candidates = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name=role)
        .filter(service_coverage__area_id=service_request.area_id)
        .annotate(
            load=Count(
                "assigned_service_requests", filter=~Q(assigned_service_requests__status__in=catalogue.TERMINAL_STEPS)
            )
        )
        .order_by("load", "pk")
    )
    return candidates.first()


# --- steps ------------------------------------------------------------------------------------------


def _step_limit(*, step, service_request: ServiceRequest) -> int | None:
    if step.sla_by_field:
        field_name, overrides = step.sla_by_field
        answer = service_request.form_data.get(field_name)
        for value, days in overrides:
            if answer == value:
                return days
    return step.sla_days


def _enter_step(*, service_request: ServiceRequest, code: str, at: dt.datetime) -> RequestStep | None:
    step = service_request.service_type.steps.filter(code=code).first()
    if step is None or code in catalogue.TERMINAL_STEPS:
        service_request.step_due_at = None
        service_request.assigned_to = None
        service_request.assigned_role = ""
        return None
    limit = _step_limit(step=step, service_request=service_request)
    due = sla.due_at(started_at=at, working_days=limit) if limit else None
    service_request.step_due_at = due
    service_request.sla_state = ServiceRequest.SlaState.ON_TIME
    service_request.assigned_role = step.role
    service_request.assigned_to = route(service_request=service_request, role=step.role)
    return RequestStep.objects.create(
        request=service_request, code=code, name=step.name, role=step.role, started_at=at, sla_days=limit, due_at=due
    )


# --- guards -----------------------------------------------------------------------------------------


def _documents_complete(*, service_request: ServiceRequest, recorded: dict, step) -> str | None:
    have = set(service_request.attachments.values_list("document_type", flat=True))
    missing = [code for code in service_request.service_type.required_documents if code not in have]
    if missing:
        names = ", ".join(str(catalogue.DOCUMENTS.get(code, code)) for code in missing)
        return _("Documents missing: %(names)s.") % {"names": names}
    return None


def _records_present(*, service_request: ServiceRequest, recorded: dict, step) -> str | None:
    missing = [name for name in (step.records if step else []) if not str(recorded.get(name, "")).strip()]
    if missing:
        names = ", ".join(str(catalogue.RECORDS.get(name, name)) for name in missing)
        return _("Record before finishing this step: %(names)s.") % {"names": names}
    return None


GUARDS: dict[str, Callable[..., str | None]] = {
    "documents_complete": _documents_complete,
    "records_present": _records_present,
}


def _clean_records(*, step, recorded: dict) -> dict:
    """Staff-recorded values: only the step's own, validated where their meaning is known."""
    cleaned = {}
    for name in step.records if step else []:
        value = str(recorded.get(name, "")).strip()
        if not value:
            continue
        if name == "meter_multiplier":
            try:
                if Decimal(value) <= 0:
                    raise InvalidOperation
            except InvalidOperation:
                raise TransitionRefused(_("The meter multiplier must be a positive number."), code="records") from None
        if name == "meter_installed_at":
            try:
                parse_input_datetime(value)  # the completion effect stores it: year and offset checked
            except ValueError:
                raise TransitionRefused(_("Enter the installation time as YYYY-MM-DD HH:MM."), code="records") from None
        if name == "area_code" and not TransformerArea.objects.filter(code=value).exists():
            raise TransitionRefused(_("No transformer area with code %(code)s.") % {"code": value}, code="records")
        cleaned[name] = value[:200]
    return cleaned


# --- the public operations -------------------------------------------------------------------------


def _record(*, service_request, action, from_status, to_status, actor, actor_role, note, at) -> RequestEvent:
    return RequestEvent.objects.create(
        request=service_request,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_role=actor_role,
        note=note,
        at=at,
    )


def _tell_applicant(*, event: RequestEvent) -> None:
    """The applicant hears of the step change once it has committed: a refused or rolled-back
    transition tells nothing, and the task's event key makes a retried one tell once."""
    enqueue_on_commit("services.notify_request_event", queue="notify", kwargs={"event_id": event.pk})


def request_event_text(*, event: RequestEvent) -> tuple[str, str]:
    """Title and body of the applicant's notice of one history event, in the active language. Step and
    type names are stored in English (the catalogue's msgids): translated here."""
    service_request = event.request
    step_names = dict(service_request.service_type.steps.values_list("code", "name"))
    values = {
        "number": service_request.number,
        "type": _(service_request.service_type.name),
        "status": _(step_names.get(event.to_status, event.to_status)),
    }
    if event.to_status == catalogue.COMPLETED:
        body = _("Your %(type)s request %(number)s is completed.")
    else:
        body = {
            "submit": _("We have received your %(type)s request %(number)s; it is waiting for acceptance."),
            "accept": _("Your %(type)s request %(number)s has been accepted; it is now at the step “%(status)s”."),
            "return": _(
                "Your %(type)s request %(number)s was returned for more information: please add what is asked and "
                "resubmit it."
            ),
            "resubmit": _("Your %(type)s request %(number)s was resubmitted; it is waiting for acceptance again."),
            "reject": _("Your %(type)s request %(number)s was rejected."),
            "cancel": _("Your %(type)s request %(number)s was cancelled."),
        }.get(event.action, _("Your %(type)s request %(number)s is now at the step “%(status)s”."))
    body %= values
    if event.note and event.actor_role != catalogue.APPLICANT:  # the applicant's own note is not news to them
        body += "\n" + _("Note from the service team: %(note)s") % {"note": event.note}
    return _("%(number)s: %(status)s") % values, body


def notify_request_event(*, event_id: int) -> int:
    """Inbox + SMS/e-mail (by preference) to the applicant of one step change, once per event, worded in
    the hall's default language whatever language the actor used. Returns notifications sent now."""
    event = RequestEvent.objects.select_related("request__service_type", "request__applicant").get(pk=event_id)
    with translation.override(settings.LANGUAGE_CODE):
        title, body = request_event_text(event=event)
    return len(
        notify(
            users=[event.request.applicant],
            kind="service_request",
            event_key=f"service-request:{event.request_id}:event:{event.pk}",
            title=title,
            body=body,
            link=reverse("service_hall:detail", args=[event.request.number]),
        )
    )


@transaction.atomic
def submit_request(
    *, applicant, service_type_code: str, form: dict, as_of: dt.datetime, account_number: str | None = None
) -> ServiceRequest:
    """File a request for a portal user. An account-bound type needs one of the applicant's accounts."""
    service_type = ServiceType.objects.filter(code=service_type_code, active=True).first()
    if service_type is None:
        raise ValidationError({"service_type": _("No such service.")})
    if service_type.staff_only and not applicant.has_perm("services.change_servicerequest"):
        raise ValidationError({"service_type": _("This request is opened by staff only.")})
    account = None
    if account_number:
        account = access_account(user=applicant, account_number=account_number)
    elif service_type.needs_account:
        raise ValidationError({"account": _("Choose the account this request is about.")})
    plain, private = clean_form(service_type=service_type, form=form)
    area = account.area if account is not None else None
    if area is None and plain.get("area_code"):
        area = TransformerArea.objects.get(code=plain["area_code"])
    service_request = ServiceRequest(
        number=f"TMP{uuid.uuid4().hex[:16]}",  # replaced below, once the row has its id
        service_type=service_type,
        applicant=applicant,
        account=account,
        area=area,
        form_data=plain,
        status=catalogue.SUBMITTED,
        submitted_at=as_of,
    )
    service_request.private_data = json.dumps(private, ensure_ascii=False) if private else None  # type: ignore[assignment]  # EncryptedTextField is nullable by default, which the stubs cannot see
    service_request.save()
    # Numbers read like the counter's: SR + date + the row id, unique without a shared counter.
    service_request.number = f"SR{local_date(as_of):%Y%m%d}{service_request.pk:06d}"
    _enter_step(service_request=service_request, code=catalogue.SUBMITTED, at=as_of)
    service_request.save()
    event = _record(
        service_request=service_request,
        action="submit",
        from_status="",
        to_status=catalogue.SUBMITTED,
        actor=applicant,
        actor_role=catalogue.APPLICANT,
        note="",
        at=as_of,
    )
    _tell_applicant(event=event)
    return service_request


def open_inspection(*, actor, account_number: str, reason: str, evidence: str, as_of: dt.datetime) -> ServiceRequest:
    """Staff open a site inspection for an account (e.g. from the line-loss suspicion list). While one
    is open for the account, that one is returned instead of filing a second."""
    existing = (
        ServiceRequest.objects.open()
        .filter(service_type__code="inspection", account__number=account_number)
        .order_by("submitted_at")
        .first()
    )
    if existing is not None:
        return existing
    return submit_request(
        applicant=actor,
        service_type_code="inspection",
        form={"reason": reason, "evidence": evidence},
        as_of=as_of,
        account_number=account_number,
    )


@transaction.atomic
def transition_request(
    *,
    actor,
    service_request_id: int,
    action: str,
    as_of: dt.datetime,
    note: str = "",
    recorded: dict | None = None,
) -> ServiceRequest:
    """Take ``action`` on the request: checks the actor's role, the note and the step's guard, closes the
    current step, opens the next with its due date, records the history and applies completion effects."""
    service_request = (
        ServiceRequest.objects.select_for_update().select_related("service_type").get(pk=service_request_id)
    )
    transition = WorkflowTransition.objects.filter(
        service_type_id=service_request.service_type_id, source=service_request.status, action=action
    ).first()
    if transition is None:
        raise TransitionRefused(
            _("“%(action)s” is not possible while the request is %(status)s.")
            % {"action": action, "status": service_request.status},
            code="state",
        )
    held = actor_roles(user=actor, service_request=service_request)
    acting_as = next((role for role in transition.roles if role in held), None)
    if acting_as is None:
        raise TransitionRefused(_("Your role may not do this."), code="role")
    note = (note or "").strip()
    if transition.note_required and not note:
        raise TransitionRefused(_("Say why in the note: the customer reads it."), code="note")
    step = service_request.service_type.steps.filter(code=service_request.status).first()
    recorded_now = _clean_records(step=step, recorded=recorded or {}) if transition.action == "advance" else {}
    if transition.guard:
        problem = GUARDS[transition.guard](
            service_request=service_request, recorded={**service_request.recorded, **recorded_now}, step=step
        )
        if problem:
            raise TransitionRefused(problem, code="guard")
    if recorded_now:
        service_request.recorded = {**service_request.recorded, **recorded_now}
        if recorded_now.get("area_code"):
            service_request.area = TransformerArea.objects.filter(code=recorded_now["area_code"]).first()
    open_steps = RequestStep.objects.filter(request=service_request, finished_at__isnull=True)
    if service_request.status == catalogue.RETURNED and service_request.due_at is not None:
        returned = open_steps.first()
        if returned is not None:  # the end-to-end clock stood still while the applicant held the request
            service_request.due_at = sla.paused_due_at(
                due=service_request.due_at, paused_from=returned.started_at, paused_to=as_of
            )
    open_steps.update(finished_at=as_of, handled_by=actor)
    from_status = service_request.status
    service_request.status = transition.target
    _enter_step(service_request=service_request, code=transition.target, at=as_of)
    if transition.action == "accept" and service_request.accepted_at is None:
        service_request.accepted_at = as_of
        if service_request.service_type.total_sla_days:
            service_request.due_at = sla.due_at(
                started_at=as_of, working_days=service_request.service_type.total_sla_days
            )
    if transition.target in catalogue.TERMINAL_STEPS:
        service_request.closed_at = as_of
    service_request.save()
    event = _record(
        service_request=service_request,
        action=transition.action,
        from_status=from_status,
        to_status=transition.target,
        actor=actor,
        actor_role=acting_as,
        note=note,
        at=as_of,
    )
    if transition.target == catalogue.COMPLETED and service_request.service_type.effect:
        try:
            service_request.effect_result = apply_completion_effect(
                service_request=service_request, actor=actor, as_of=as_of
            )
        except EffectError as error:
            raise TransitionRefused(str(error), code="effect") from None
        service_request.save(update_fields=["effect_result", "updated_at"])
    _tell_applicant(event=event)
    return service_request


@transaction.atomic
def assign_request(*, actor, service_request_id: int, assignee, as_of: dt.datetime) -> ServiceRequest:
    """Put an open request in ``assignee``'s queue; they must hold the step's role."""
    service_request = ServiceRequest.objects.select_for_update().get(pk=service_request_id)
    if service_request.is_closed:
        raise TransitionRefused(_("The request is closed."), code="state")
    if not staff_roles(user=actor):
        raise TransitionRefused(_("Only staff assign requests."), code="role")
    if service_request.assigned_role not in staff_roles(user=assignee):
        raise TransitionRefused(
            _("%(user)s does not hold the role this step needs.") % {"user": assignee.get_username()}, code="role"
        )
    service_request.assigned_to = assignee
    service_request.save(update_fields=["assigned_to", "updated_at"])
    _record(
        service_request=service_request,
        action="assign",
        from_status=service_request.status,
        to_status=service_request.status,
        actor=actor,
        actor_role="",
        note=assignee.get_username(),
        at=as_of,
    )
    return service_request


@transaction.atomic
def rate_request(*, user, service_request_id: int, rating: int, comment: str, as_of: dt.datetime) -> ServiceRequest:
    """The applicant rates a completed request once (1–5 and a comment)."""
    service_request = ServiceRequest.objects.select_for_update().get(pk=service_request_id)
    if service_request.applicant_id != user.pk:
        raise TransitionRefused(_("Only the applicant rates a request."), code="role")
    if service_request.status != catalogue.COMPLETED:
        raise TransitionRefused(_("A request is rated once it is completed."), code="state")
    if service_request.rating is not None:
        raise TransitionRefused(_("You have already rated this request."), code="state")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise TransitionRefused(_("Give 1 to 5 stars."), code="rating")
    service_request.rating = rating
    service_request.rating_comment = (comment or "").strip()[:1000]
    service_request.rated_at = as_of
    service_request.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    return service_request


@dataclass(frozen=True)
class BulkResult:
    """What one action over several requests did: the requests updated, and those refused with the
    engine's reason (each request is its own transaction, so one refusal keeps the others)."""

    done: list[ServiceRequest]
    refused: list[tuple[ServiceRequest, TransitionRefused]]


def transition_requests(
    *, actor, service_requests: Iterable[ServiceRequest], action: str, as_of: dt.datetime
) -> BulkResult:
    """``transition_request`` with ``action`` (no note, nothing recorded) for each request, in order:
    the staff queue's bulk accept and finish-step."""
    done, refused = [], []
    for service_request in service_requests:
        try:
            done.append(
                transition_request(actor=actor, service_request_id=service_request.pk, action=action, as_of=as_of)
            )
        except TransitionRefused as refusal:
            refused.append((service_request, refusal))
    return BulkResult(done=done, refused=refused)


def assign_requests(*, actor, service_requests: Iterable[ServiceRequest], assignee, as_of: dt.datetime) -> BulkResult:
    """``assign_request`` to ``assignee`` for each request, in order (the queue's "assign to me")."""
    done, refused = [], []
    for service_request in service_requests:
        try:
            done.append(
                assign_request(actor=actor, service_request_id=service_request.pk, assignee=assignee, as_of=as_of)
            )
        except TransitionRefused as refusal:
            refused.append((service_request, refusal))
    return BulkResult(done=done, refused=refused)
