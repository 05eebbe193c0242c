"""Reads behind the outage-notice pages, the dashboard panel and the API: the notices a user may see,
and the current and upcoming ones touching a customer's bound accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from customers.access import accounts_visible_to, is_portal_customer
from customers.models import Account
from services.models import OutageNotice

# What a customer may see of the notices touching their accounts: never drafts or cancelled ones.
CUSTOMER_VISIBLE_STATUSES = (OutageNotice.Status.PUBLISHED, OutageNotice.Status.RESTORED)


def outage_notices_visible_to(*, user) -> QuerySet[OutageNotice]:
    """Customers: published or restored notices affecting an account bound to them. Staff with
    ``view_outagenotice``: every notice. Anyone else: none."""
    if is_portal_customer(user):
        accounts = accounts_visible_to(user=user)
        return (
            OutageNotice.objects.filter(status__in=CUSTOMER_VISIBLE_STATUSES)
            .filter(Q(areas__accounts__in=accounts) | Q(feeders__areas__accounts__in=accounts))
            .distinct()
        )
    if user.is_authenticated and user.is_active and user.has_perm("services.view_outagenotice"):
        return OutageNotice.objects.all()
    return OutageNotice.objects.none()


def notices_for_user(*, user, as_of: dt.datetime) -> QuerySet[OutageNotice]:
    """Current and upcoming published notices touching the user's bound accounts."""
    accounts = Account.objects.filter(bindings__user=user)
    return (
        OutageNotice.objects.current_or_upcoming(as_of=as_of)
        .filter(Q(areas__accounts__in=accounts) | Q(feeders__areas__accounts__in=accounts))
        .distinct()
        .order_by("starts_at")
    )


@dataclass(frozen=True)
class NoticeForAccounts:
    notice: OutageNotice
    accounts: list[Account]  # the user's accounts this notice affects
    in_progress: bool  # started already (and not yet restored)


def current_notices_with_accounts(
    *, user, as_of: dt.datetime, account_numbers: list[str] | None = None, accounts: list[Account] | None = None
) -> list[NoticeForAccounts]:
    """Current and upcoming notices for the user's accounts (``notices_for_user``), each with which of
    those accounts it affects; ``account_numbers`` narrows to some of them. Four queries in all, three
    when the caller passes the user's bound accounts (with their area) it has already loaded."""
    if accounts is None:
        accounts = list(accounts_visible_to(user=user).select_related("area").order_by("number"))
    if account_numbers is not None:
        accounts = [account for account in accounts if account.number in account_numbers]
    if not accounts:
        return []
    # The notices touching those accounts' areas or feeders: the same set as notices_for_user, found
    # from the area and feeder ids in hand instead of joining back through the bindings.
    area_ids = {account.area_id for account in accounts}
    feeder_ids = {account.area.feeder_id for account in accounts}
    notices = (
        OutageNotice.objects.current_or_upcoming(as_of=as_of)
        .filter(Q(areas__in=area_ids) | Q(feeders__in=feeder_ids))
        .distinct()
        .order_by("starts_at")
        .prefetch_related("areas", "feeders")
    )
    result = []
    for notice in notices:
        area_ids = {area.pk for area in notice.areas.all()}
        feeder_ids = {feeder.pk for feeder in notice.feeders.all()}
        affected = [a for a in accounts if a.area_id in area_ids or a.area.feeder_id in feeder_ids]
        if affected:
            result.append(NoticeForAccounts(notice=notice, accounts=affected, in_progress=notice.starts_at <= as_of))
    return result
