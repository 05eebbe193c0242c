"""Enrolment in a program: the customer (or staff on their behalf, with a reason) commits kW and accepts
the terms version in force; withdrawal ends it. Every change is audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.time import local_date
from customers.models import Account
from security.models import AuditEvent
from security.services.audit import record_event
from services.actions.demand_response.eligibility import check_eligibility
from services.actions.demand_response.errors import DemandResponseError
from services.actions.demand_response.programs import terms_in_force
from services.models import DREnrolment, DRProgram, DRProgramTerms


def enrol_account(
    *,
    program: DRProgram,
    account: Account,
    committed_kw: Decimal,
    accepted_terms: DRProgramTerms,
    user,
    channel: str,
    now: dt.datetime,
    staff_reason: str = "",
) -> DREnrolment:
    today = local_date(now)
    if channel == DREnrolment.Channel.STAFF and not staff_reason.strip():
        raise DemandResponseError(_("Say why you enrol the customer."), code="staff_reason", field="staff_reason")
    in_force = terms_in_force(program=program, on=today)
    if in_force is None or accepted_terms.pk != in_force.pk:
        raise DemandResponseError(
            _("The terms have changed; read and accept the current version %(version)s.")
            % {"version": in_force.version if in_force else "-"},
            code="terms_changed",
            field="terms",
        )
    eligibility = check_eligibility(program=program, account=account, today=today)
    if not eligibility.eligible:
        raise DemandResponseError(" ".join(eligibility.reasons), code="not_eligible")
    if committed_kw <= 0:
        raise DemandResponseError(_("Commit a positive number of kW."), code="commitment", field="committed_kw")
    if committed_kw > eligibility.max_commit_kw:
        raise DemandResponseError(
            _("You can commit at most %(max)s kW: more than this account's usual load allows.")
            % {"max": eligibility.max_commit_kw},
            code="commitment_too_high",
            field="committed_kw",
        )
    try:
        with transaction.atomic():
            enrolment = DREnrolment.objects.create(
                program=program,
                account=account,
                committed_kw=committed_kw,
                terms=accepted_terms,
                accepted_at=now,
                channel=channel,
                enrolled_by=user if getattr(user, "is_authenticated", False) else None,
                staff_reason=staff_reason.strip(),
            )
    except IntegrityError:
        raise DemandResponseError(
            _("This account is already enrolled in the program."), code="already_enrolled"
        ) from None
    record_event(
        action=AuditEvent.Action.CREATE,
        actor=user,
        target=enrolment,
        details={"program": program.code, "channel": channel, "terms_version": accepted_terms.version},
    )
    return enrolment


@transaction.atomic
def withdraw_enrolment(*, enrolment: DREnrolment, user, now: dt.datetime) -> DREnrolment:
    """Ends the enrolment; invitations already answered stay as they are."""
    locked = DREnrolment.objects.select_for_update().get(pk=enrolment.pk)
    if locked.status != DREnrolment.Status.ACTIVE:
        raise DemandResponseError(_("This enrolment has already ended."), code="not_active")
    locked.status = DREnrolment.Status.WITHDRAWN
    locked.withdrawn_at = now
    locked.withdrawn_by = user if getattr(user, "is_authenticated", False) else None
    locked.save(update_fields=["status", "withdrawn_at", "withdrawn_by"])
    record_event(action=AuditEvent.Action.UPDATE, actor=user, target=locked, details={"status": "withdrawn"})
    return locked
