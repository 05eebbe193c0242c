"""What a completed request changes on the account side (业务归档): new accounts and meters, capacity,
pause, tariff, owner and closure with its final bill. Called by the workflow engine inside the
completing transaction; each effect returns a JSON-able summary kept on the request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max

from billing.models import Meter, Tariff, TariffAssignment
from billing.services.billing_run import enqueue_billing_run, start_billing_run
from core.months import month_span
from core.time import SHANGHAI, local_date, local_midnight
from customers.models import Account, Customer, PortalBinding
from customers.services.records import save_account
from security.models import AuditEvent
from security.services.audit import record_event
from services.models import ScheduledAccountChange, ServiceRequest
from services.selectors.requests import private_answers

# The tariff a new account starts on, by category and whether its meter has TOU registers.
DEFAULT_TARIFFS = {
    ("residential", False): "ZJ-RES-FLAT",
    ("residential", True): "ZJ-RES-TOU",
    ("industrial", True): "EX-IND-2P",
    ("industrial", False): "EX-IND-2P",
}
DEFAULT_NON_RESIDENTIAL = "EX-COM-TOU"


class EffectError(Exception):
    """The request cannot complete as recorded (e.g. no transformer area); the transition is undone."""


def _effective_on(*, service_request: ServiceRequest, as_of: dt.datetime) -> dt.date:
    value = service_request.form_data.get("effective_on")
    return dt.date.fromisoformat(value) if value else local_date(as_of)


def _allocate_account_number() -> str:
    highest = Account.objects.aggregate(top=Max("number"))["top"] or "3300000000"
    return f"{int(highest) + 1:010d}"


def _account_of(service_request: ServiceRequest) -> Account:
    """The account a request for an existing account acts on (filing requires one: needs_account)."""
    if service_request.account is None:
        raise EffectError("the request names no account")
    return service_request.account


def _create_account(*, service_request: ServiceRequest, actor, as_of: dt.datetime) -> dict:
    if service_request.account_id:
        return {"account": _account_of(service_request).number, "already": True}
    answers = service_request.form_data
    personal = private_answers(service_request=service_request)
    area = service_request.area
    if area is None:
        raise EffectError("record the transformer area at the site survey before completing")
    category = answers["category"]
    customer = Customer(
        kind=Customer.Kind.INDIVIDUAL if category == "residential" else Customer.Kind.ENTERPRISE,
        name=personal.get("applicant_name", ""),
    )
    customer.id_number = personal.get("applicant_id_number")  # type: ignore[assignment]  # EncryptedTextField is nullable by default, which the stubs cannot see
    customer.phone = personal.get("contact_phone")  # type: ignore[assignment]  # EncryptedTextField is nullable by default, which the stubs cannot see
    customer.address = personal.get("site_address")  # type: ignore[assignment]  # EncryptedTextField is nullable by default, which the stubs cannot see
    customer.save()
    opened_on = local_date(as_of)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                account = Account.objects.create(
                    number=_allocate_account_number(),
                    customer=customer,
                    category=category,
                    voltage_level=answers["voltage_level"],
                    contracted_kva=Decimal(answers["requested_kva"]),
                    opened_on=opened_on,
                    area=area,
                )
            break
        except IntegrityError:
            continue  # another completion took the number; take the next
    else:
        raise EffectError("could not allocate an account number")
    result = {"account": account.number, "customer": str(customer.public_id)}
    recorded = service_request.recorded
    has_tou = category != "residential"
    if recorded.get("meter_no"):
        installed_at = dt.datetime.fromisoformat(recorded.get("meter_installed_at") or as_of.isoformat())
        if installed_at.tzinfo is None:  # entered as local time
            installed_at = installed_at.replace(tzinfo=SHANGHAI)
        meter = Meter.objects.create(
            meter_no=recorded["meter_no"],
            account=account,
            area=area,
            multiplier=Decimal(recorded.get("meter_multiplier") or "1"),
            phase=Meter.Phase.SINGLE if answers["voltage_level"] == "220V" else Meter.Phase.THREE,
            has_tou_registers=has_tou,
            installed_at=installed_at,
        )
        result["meter"] = meter.meter_no
    code = DEFAULT_TARIFFS.get((category, has_tou), DEFAULT_NON_RESIDENTIAL)
    tariff = Tariff.objects.filter(code=code).first()
    if tariff is not None:
        TariffAssignment.objects.create(account=account, tariff=tariff, valid_from=opened_on)
        result["tariff"] = code
    PortalBinding.objects.create(
        user=service_request.applicant,
        account=account,
        role=PortalBinding.Role.OWNER,
        method=PortalBinding.Method.STAFF,
    )
    service_request.account = account
    service_request.save(update_fields=["account", "updated_at"])
    record_event(
        action=AuditEvent.Action.CREATE, actor=actor, target=account, details={"request": service_request.number}
    )
    return result


def _schedule(
    *, service_request: ServiceRequest, field: str, value: str, effective_on: dt.date, as_of: dt.datetime
) -> dict:
    change = ScheduledAccountChange.objects.create(
        request=service_request,
        account=_account_of(service_request),
        field=field,
        value=value,
        effective_on=effective_on,
    )
    if effective_on <= local_date(as_of):
        apply_scheduled_change(change_id=change.pk, as_of=as_of)
    return {field: value, "effective_on": effective_on.isoformat()}


def _change_capacity(*, service_request: ServiceRequest, actor, as_of: dt.datetime) -> dict:
    new_kva = service_request.form_data["new_kva"]
    effective_on = _effective_on(service_request=service_request, as_of=as_of)
    return _schedule(
        service_request=service_request, field="contracted_kva", value=new_kva, effective_on=effective_on, as_of=as_of
    )


def _pause(*, service_request: ServiceRequest, actor, as_of: dt.datetime) -> dict:
    start = _effective_on(service_request=service_request, as_of=as_of)
    until = dt.date.fromisoformat(service_request.form_data["pause_until"])
    result = _schedule(
        service_request=service_request, field="status", value=Account.Status.PAUSED, effective_on=start, as_of=as_of
    )
    _schedule(
        service_request=service_request, field="status", value=Account.Status.ACTIVE, effective_on=until, as_of=as_of
    )
    return {**result, "resumes_on": until.isoformat()}


def _change_tariff(*, service_request: ServiceRequest, actor, as_of: dt.datetime) -> dict:
    """Close the assignment running on the effective date and start the new tariff from it; billing
    splits a period that straddles the date (by interval data or by days)."""
    account = _account_of(service_request)
    effective_on = _effective_on(service_request=service_request, as_of=as_of)
    tariff = Tariff.objects.get(code=service_request.form_data["new_tariff"])
    if tariff.category != account.category:
        raise EffectError(f"tariff {tariff.code} is for {tariff.category} accounts, not {account.category}")
    TariffAssignment.objects.filter(account=account, valid_from__gte=effective_on).delete()
    TariffAssignment.objects.filter(account=account, valid_from__lt=effective_on).filter(valid_to__isnull=True).update(
        valid_to=effective_on
    )
    TariffAssignment.objects.filter(account=account, valid_from__lt=effective_on, valid_to__gt=effective_on).update(
        valid_to=effective_on
    )
    TariffAssignment.objects.create(account=account, tariff=tariff, valid_from=effective_on)
    return {"tariff": tariff.code, "effective_on": effective_on.isoformat()}


def _transfer(*, service_request: ServiceRequest, actor, as_of: dt.datetime) -> dict:
    """更名 changes the holder's name; 过户 moves the account to a new customer record and ends the old
    owner's online access (the new owner binds with their own ID number)."""
    account = _account_of(service_request)
    personal = private_answers(service_request=service_request)
    if service_request.form_data.get("transfer_kind") == "name_change":
        customer = account.customer
        customer.name = personal["new_name"]
        customer.save(update_fields=["name", "updated_at"])
        record_event(action=AuditEvent.Action.UPDATE, actor=actor, target=customer, details={"fields": ["name"]})
        return {"name_changed": True}
    customer = Customer(kind=account.customer.kind, name=personal["new_name"])
    customer.id_number = personal.get("new_id_number")  # type: ignore[assignment]  # EncryptedTextField is nullable by default, which the stubs cannot see
    customer.phone = personal.get("new_phone")  # type: ignore[assignment]  # EncryptedTextField is nullable by default, which the stubs cannot see
    customer.save()
    account.customer = customer
    save_account(actor=actor, account=account, changed_fields=["customer"])
    removed, _ = PortalBinding.objects.filter(account=account).delete()
    return {"new_customer": str(customer.public_id), "bindings_removed": removed}


def _close_account(*, service_request: ServiceRequest, actor, as_of: dt.datetime) -> dict:
    """Close from the effective date, remove the meters then, and bill the last period up to it."""
    account = _account_of(service_request)
    closed_on = _effective_on(service_request=service_request, as_of=as_of)
    if closed_on > local_date(as_of):
        raise EffectError("the closure date has not come yet: settle on or after it")
    account.status = Account.Status.CLOSED
    account.closed_on = closed_on
    save_account(actor=actor, account=account, changed_fields=["status", "closed_on"])
    end = local_midnight(closed_on)  # the close of the last day with supply
    Meter.objects.filter(account=account, removed_at__isnull=True, installed_at__lt=end).update(removed_at=end)
    # closed_on is the first day without supply (exclusive, as billing reads it): bill the month of the last day.
    period_start, period_end = month_span(closed_on - dt.timedelta(days=1))
    run = start_billing_run(period_start=period_start, period_end=period_end, as_of=as_of, account_ids=[account.pk])
    enqueue_billing_run(run=run, workers=1)
    return {"closed_on": closed_on.isoformat(), "final_billing_run": run.pk}


EFFECTS: dict[str, Callable[..., dict]] = {
    "create_account": _create_account,
    "change_capacity": _change_capacity,
    "pause": _pause,
    "change_tariff": _change_tariff,
    "transfer": _transfer,
    "close_account": _close_account,
}


def apply_completion_effect(*, service_request: ServiceRequest, actor, as_of: dt.datetime) -> dict:
    return EFFECTS[service_request.service_type.effect](service_request=service_request, actor=actor, as_of=as_of)


@transaction.atomic
def apply_scheduled_change(*, change_id: int, as_of: dt.datetime) -> bool:
    """Apply one scheduled change if due and not yet applied; True when applied now."""
    change = ScheduledAccountChange.objects.select_for_update().select_related("account").get(pk=change_id)
    if change.applied_at is not None or change.effective_on > local_date(as_of):
        return False
    account = change.account
    value = Decimal(change.value) if change.field == "contracted_kva" else change.value
    setattr(account, change.field, value)
    save_account(actor=None, account=account, changed_fields=[change.field])
    change.applied_at = as_of
    change.save(update_fields=["applied_at"])
    return True


def apply_due_changes(*, as_of: dt.datetime) -> int:
    """Daily: apply every scheduled change whose date has come."""
    due = ScheduledAccountChange.objects.filter(applied_at__isnull=True, effective_on__lte=local_date(as_of))
    return sum(apply_scheduled_change(change_id=pk, as_of=as_of) for pk in due.values_list("pk", flat=True))
