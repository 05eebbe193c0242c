"""Who may read which meter: portal customers their bound accounts' meters, staff and integrators by
billing permissions."""

from __future__ import annotations

from typing import Literal

from django.db.models import QuerySet
from django.http import Http404

from billing.models import Meter
from customers.access import accounts_visible_to, is_portal_customer
from customers.models import Account

# Which billing permissions let staff and integrators read each kind of meter data (billing/migrations/0003).
ReadingKind = Literal["intervals", "registers"]
_STAFF_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "intervals": ("billing.view_meter", "billing.view_intervalreading"),
    "registers": ("billing.view_meter", "billing.view_registerread"),
}


def meters_visible_to(*, user, kind: ReadingKind = "intervals") -> QuerySet[Meter]:
    """Portal customers: the customer meters of their bound accounts (owner or member), nothing else.
    Staff and integrators (the AMI head-end group): every meter, area summary meters included, when
    they hold ``billing.view_meter`` and the view permission of that kind of reading."""
    if not user.is_authenticated or not user.is_active:
        return Meter.objects.none()
    if is_portal_customer(user):
        return Meter.objects.filter(role=Meter.Role.CUSTOMER, account__in=accounts_visible_to(user=user))
    if user.has_perms(_STAFF_PERMISSIONS[kind]):
        return Meter.objects.all()
    return Meter.objects.none()


def access_meter(*, user, meter_no: str, kind: ReadingKind = "intervals") -> Meter:
    """Fetch a meter by number if ``user`` may read its data; otherwise 404 (never 403: no probing)."""
    meter = meters_visible_to(user=user, kind=kind).filter(meter_no=meter_no).first()
    if meter is None:
        raise Http404("No such meter")
    return meter


def account_meters(*, account: Account) -> list[Meter]:
    """The customer meters an account has had, oldest first: after an exchange the old meter keeps its
    history (``removed_at``) and the new one continues, so the account's usage is the sum over all."""
    return list(Meter.objects.filter(account=account, role=Meter.Role.CUSTOMER).order_by("installed_at", "meter_no"))
