"""The deadline watch: flags steps about to breach and breached ones, and escalates breaches to the
transformer area's supervisor. Run by beat; idempotent (each step is warned and escalated once)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from services import catalogue, sla
from services.actions.notifications import notify
from services.models import RequestEvent, RequestStep, ServiceRequest


@dataclass(frozen=True)
class DeadlineReport:
    warned: int
    breached: int
    escalated: int


def _staff_to_tell(*, service_request: ServiceRequest) -> list:
    return [service_request.assigned_to] if service_request.assigned_to_id else []


@transaction.atomic
def check_deadlines(*, as_of: dt.datetime) -> DeadlineReport:
    warned = breached = escalated = 0
    open_steps = (
        RequestStep.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(finished_at__isnull=True, due_at__isnull=False, breached_at__isnull=True)
        .select_related("request__area__supervisor", "request__assigned_to", "request__service_type")
    )
    for step in open_steps:
        service_request = step.request
        due_at = step.due_at
        assert due_at is not None  # filtered on due_at above
        due_label = f"{sla.due_day(due_at):%Y-%m-%d}"
        if due_at <= as_of:
            step.breached_at = as_of
            service_request.sla_state = ServiceRequest.SlaState.BREACHED
            breached += 1
            supervisor = service_request.area.supervisor if service_request.area else None
            note = _("Step “%(step)s” was due by %(due)s and is overdue.") % {"step": _(step.name), "due": due_label}
            if supervisor is not None and supervisor.is_active:
                step.escalated_to = supervisor
                escalated += 1
                notify(
                    users=[supervisor],
                    kind="service_request",
                    event_key=f"sla-escalation:{step.pk}",
                    title=_("Overdue: %(number)s") % {"number": service_request.number},
                    body=note,
                    link=f"/admin/services/servicerequest/{service_request.pk}/change/",
                )
            else:
                note += " " + _("No supervisor is set for the area: nobody to escalate to.")
            notify(
                users=_staff_to_tell(service_request=service_request),
                kind="service_request",
                event_key=f"sla-breach:{step.pk}",
                title=_("Overdue: %(number)s") % {"number": service_request.number},
                body=note,
                link=f"/admin/services/servicerequest/{service_request.pk}/change/",
            )
            RequestEvent.objects.create(
                request=service_request,
                action="escalate" if step.escalated_to_id else "breach",
                from_status=service_request.status,
                to_status=service_request.status,
                actor=None,
                actor_role="",
                note=note,
                at=as_of,
            )
        elif step.warned_at is None and sla.due_soon(due=due_at, as_of=as_of):
            step.warned_at = as_of
            service_request.sla_state = ServiceRequest.SlaState.DUE_SOON
            warned += 1
            notify(
                users=_staff_to_tell(service_request=service_request),
                kind="service_request",
                event_key=f"sla-warning:{step.pk}",
                title=_("Due soon: %(number)s") % {"number": service_request.number},
                body=_("Step “%(step)s” is due by %(due)s.") % {"step": _(step.name), "due": due_label},
                link=f"/admin/services/servicerequest/{service_request.pk}/change/",
            )
        else:
            continue
        step.save(update_fields=["warned_at", "breached_at", "escalated_to"])
        service_request.save(update_fields=["sla_state", "updated_at"])
    # The end-to-end limit (e.g. residential connection within 5 working days) is overdue on its own;
    # not while the request is returned to the applicant (its clock is paused, see sla.paused_due_at).
    overdue_total = (
        ServiceRequest.objects.open()
        .filter(due_at__lte=as_of)
        .exclude(sla_state=ServiceRequest.SlaState.BREACHED)
        .exclude(status=catalogue.RETURNED)
    )
    breached += overdue_total.update(sla_state=ServiceRequest.SlaState.BREACHED)
    return DeadlineReport(warned=warned, breached=breached, escalated=escalated)
