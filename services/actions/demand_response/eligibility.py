"""Who may enrol in a program, how much they may commit, and the reason when they may not.

An account is eligible when the program is in season, the account is active, its category and
contracted capacity match, it lies in a target area (when the program names any), and its interval
data is sufficient: at least ``min_data_share`` of the expected intervals in the last
``data_window_days`` days measured (actual or staff-edited, not estimated), from the meter-day
completeness rows every ingest keeps up to date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from billing.models import IntervalReading, Meter, MeterDayCompleteness
from core.money import round_kw, round_share
from core.time import local_midnight
from customers.models import Account
from services.actions.demand_response.programs import program_in_season, terms_in_force
from services.models import DRProgram

ZERO = Decimal("0")


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: list[str] = field(default_factory=list)  # why not, in words for the customer
    codes: list[str] = field(default_factory=list)
    data_share: Decimal = ZERO  # measured ÷ expected intervals in the window
    max_commit_kw: Decimal = ZERO  # the most the account may commit


def _data_share(*, account: Account, first: dt.date, last_exclusive: dt.date) -> Decimal:
    meters = list(
        Meter.objects.filter(account=account, role=Meter.Role.CUSTOMER)
        .installed_at(local_midnight(last_exclusive) - dt.timedelta(microseconds=1))
        .values_list("id", "interval_minutes")
    )
    if not meters:
        return ZERO
    days = (last_exclusive - first).days
    expected = sum(days * 24 * 60 // minutes for _, minutes in meters)
    measured = MeterDayCompleteness.objects.filter(
        meter_id__in=[meter_id for meter_id, _ in meters], day__gte=first, day__lt=last_exclusive
    ).aggregate(actual=Sum("actual"), edited=Sum("edited"))
    present = (measured["actual"] or 0) + (measured["edited"] or 0)
    return round_share(Decimal(present) / Decimal(expected)) if expected else ZERO


def _load_quantiles(*, account: Account, first: dt.date, last_exclusive: dt.date) -> tuple[Decimal, Decimal] | None:
    """(P10, P90) of the account's interval load in kW over the window, summed over its meters."""
    start, end = local_midnight(first), local_midnight(last_exclusive)
    meters = {
        meter.pk: meter
        for meter in Meter.objects.filter(account=account, role=Meter.Role.CUSTOMER).only(
            "id", "multiplier", "interval_minutes"
        )
    }
    totals: dict[dt.datetime, Decimal] = {}
    readings = IntervalReading.objects.filter(
        meter_id__in=list(meters), interval_start__gte=start, interval_start__lt=end
    ).values_list("meter_id", "interval_start", "kwh")
    for meter_id, moment, kwh in readings:
        meter = meters[meter_id]
        kw = kwh * meter.multiplier * 60 / meter.interval_minutes
        totals[moment] = totals.get(moment, ZERO) + kw
    if not totals:
        return None
    ordered = sorted(totals.values())
    return ordered[int(0.1 * (len(ordered) - 1))], ordered[int(0.9 * (len(ordered) - 1))]


def check_eligibility(*, program: DRProgram, account: Account, today: dt.date) -> Eligibility:
    reasons: list[str] = []
    codes: list[str] = []

    def refuse(code: str, reason: str) -> None:
        codes.append(code)
        reasons.append(reason)

    if not program_in_season(program=program, on=today):
        refuse("out_of_season", _("The program is not open on this date."))
    if terms_in_force(program=program, on=today) is None:
        refuse("no_terms", _("The program has no terms in force yet."))
    if account.status != Account.Status.ACTIVE:
        refuse("account_inactive", _("The account is not active."))
    if program.eligible_categories and account.category not in program.eligible_categories:
        refuse(
            "category",
            _("The program is open to other kinds of accounts than %(category)s.")
            % {"category": account.get_category_display()},
        )
    if program.min_contracted_kva is not None and account.contracted_kva < program.min_contracted_kva:
        refuse(
            "capacity",
            _("The program needs a contracted capacity of at least %(kva)s kVA; this account has %(has)s kVA.")
            % {"kva": program.min_contracted_kva, "has": account.contracted_kva},
        )
    targets = list(program.target_areas.values_list("id", flat=True))
    if targets and account.area_id not in targets:
        refuse("area", _("The program does not cover this account's transformer area."))

    first = today - dt.timedelta(days=program.data_window_days)
    share = _data_share(account=account, first=first, last_exclusive=today)
    if share < program.min_data_share:
        refuse(
            "data",
            _(
                "Only %(share)s%% of this account's meter readings arrived in the last %(days)s days "
                "(%(needed)s%% needed), so its response could not be measured."
            )
            % {
                "share": f"{share * 100:.0f}",
                "days": program.data_window_days,
                "needed": f"{program.min_data_share * 100:.0f}",
            },
        )
    quantiles = _load_quantiles(account=account, first=first, last_exclusive=today)
    if quantiles is None:
        max_commit = ZERO
    elif program.is_peak_shaving:
        max_commit = min(quantiles[1], account.contracted_kva)  # cannot shed more than its high load
    else:
        max_commit = max(account.contracted_kva - quantiles[0], ZERO)  # room above its low load
    return Eligibility(
        eligible=not codes, reasons=reasons, codes=codes, data_share=share, max_commit_kw=round_kw(max_commit)
    )
