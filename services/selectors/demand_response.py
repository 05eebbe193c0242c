"""Demand-response reads for the business hall and the API, access-checked: a customer reaches the
programs, events, participations and settlements of their own bound accounts only; staff and
integrators what their model permissions allow (``customers.access`` decides the accounts)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from billing.models import Bill, LedgerEntry
from customers.access import accounts_visible_to, is_portal_customer, staff_may_view
from customers.models import Account
from services.models import DREnrolment, DREvent, DRParticipation, DRProgram, DRSettlement

BILLED = (Bill.Status.ISSUED, Bill.Status.PAID, Bill.Status.PARTIALLY_PAID)


def programs_open_on(*, today: dt.date) -> QuerySet[DRProgram]:
    """Programs whose season has not ended (the ones a customer may still read and join)."""
    return (
        DRProgram.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today))
        .prefetch_related("terms")
        .order_by("valid_from", "code")
    )


def active_enrolments(*, account: Account) -> dict[int, DREnrolment]:
    """The account's active enrolment per program id."""
    return {
        e.program_id: e
        for e in DREnrolment.objects.filter(account=account, status=DREnrolment.Status.ACTIVE).select_related("terms")
    }


def access_enrolment(*, user, enrolment_id: int) -> DREnrolment:
    """An enrolment of one of the user's accounts, else DoesNotExist (pages answer 404)."""
    return DREnrolment.objects.select_related("program", "account").get(
        pk=enrolment_id, account__in=accounts_visible_to(user=user)
    )


def participations_visible_to(*, user) -> QuerySet[DRParticipation]:
    """Customers: their accounts' participations; staff: all, with the view permission."""
    base = DRParticipation.objects.select_related("event__program", "account", "settlement")
    if is_portal_customer(user):
        return base.filter(account__in=accounts_visible_to(user=user)).exclude(event__status=DREvent.Status.DRAFT)
    if staff_may_view(user=user, permission="services.view_drparticipation"):
        return base
    return base.none()


def events_visible_to(*, user) -> QuerySet[DREvent]:
    """Customers: dispatched events one of their accounts is invited to; staff: all, by permission."""
    if is_portal_customer(user):
        return (
            DREvent.objects.filter(participations__account__in=accounts_visible_to(user=user))
            .exclude(status=DREvent.Status.DRAFT)
            .select_related("program")
            .distinct()
        )
    if staff_may_view(user=user, permission="services.view_drevent"):
        return DREvent.objects.select_related("program")
    return DREvent.objects.none()


def settlements_visible_to(*, user) -> QuerySet[DRSettlement]:
    """Customers: their accounts' settlements; staff and integrators: by the view permission."""
    base = DRSettlement.objects.select_related("participation__event__program", "participation__account", "terms")
    if is_portal_customer(user):
        return base.filter(participation__account__in=accounts_visible_to(user=user))
    if staff_may_view(user=user, permission="services.view_drsettlement"):
        return base
    return base.none()


def account_participations(*, account: Account) -> QuerySet[DRParticipation]:
    return (
        DRParticipation.objects.filter(account=account)
        .exclude(event__status=DREvent.Status.DRAFT)
        .select_related("event__program", "settlement")
        .order_by("-event__start")
    )


def open_invitations(*, account: Account, now: dt.datetime) -> QuerySet[DRParticipation]:
    """Invitations of the account still open for an answer, soonest deadline first."""
    return (
        DRParticipation.objects.filter(
            account=account, event__status=DREvent.Status.SCHEDULED, event__response_deadline__gt=now
        )
        .select_related("event__program")
        .order_by("event__response_deadline")
    )


def access_participation(*, user, event_id: int, account: Account | None) -> DRParticipation:
    """The participation of the hall's current account in ``event_id`` (any of the user's accounts when
    the current one is not invited), else DoesNotExist."""
    rows = participations_visible_to(user=user).filter(event_id=event_id)
    if account is not None:
        own = rows.filter(account=account).first()
        if own is not None:
            return own
    found = rows.order_by("account__number").first()
    if found is None:
        raise DRParticipation.DoesNotExist
    return found


def settlement_ledger_entries(*, settlement: DRSettlement) -> list[LedgerEntry]:
    """The ledger entries the settlement posted: one per revision that changed the money."""
    participation = settlement.participation
    return list(
        LedgerEntry.objects.filter(
            account_id=participation.account_id,
            posting_key__startswith=f"dr:{participation.event_id}:{participation.account_id}:r",
        ).order_by("created_at", "id")
    )


def landing_bill(*, account_id: int, posted_on: dt.date) -> Bill | None:
    """The first bill issued on or after the day a credit was posted: the bill it shows on."""
    return (
        Bill.objects.filter(account_id=account_id, status__in=BILLED, issued_at__date__gte=posted_on)
        .order_by("issued_at", "id")
        .first()
    )


def availability_credits(*, account: Account, enrolment_ids: list[int]) -> list[LedgerEntry]:
    keys = Q()
    for enrolment_id in enrolment_ids:
        keys |= Q(posting_key__startswith=f"dr:availability:{enrolment_id}:")
    if not enrolment_ids:
        return []
    return list(LedgerEntry.objects.filter(keys, account=account).order_by("occurred_on", "id"))
