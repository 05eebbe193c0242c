"""Tariffs as an account sees them: the assignment and version valid on a day, the kWh billed in a tier
year, the tier bar, and the tariffs the quote calculator offers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from billing.models import Bill, Tariff, TariffAssignment, TariffVersion
from billing.selectors.consumption import TOU_REGISTERS
from core.money import percent, round_kwh
from customers.models import Account


def current_tariff(*, account: Account, on: dt.date) -> TariffAssignment | None:
    """The account's tariff assignment valid on ``on`` ([valid_from, valid_to))."""
    return (
        TariffAssignment.objects.filter(account=account, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .select_related("tariff")
        .first()
    )


def tariff_version_on(*, tariff: Tariff, on: dt.date) -> TariffVersion | None:
    return (
        TariffVersion.objects.filter(tariff=tariff, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .order_by("-valid_from")
        .first()
    )


def billed_kwh_in_year(*, account: Account, year: int, before: dt.date | None = None) -> Decimal:
    """kWh of the year's live bills (issued, held, paid, partly paid — not void or draft), by period start:
    the tier year is the calendar year. ``before``: only bills for periods starting before that day."""
    bills = Bill.objects.filter(account=account, period_start__year=year).exclude(
        status__in=[Bill.Status.VOID, Bill.Status.DRAFT]
    )
    if before is not None:
        bills = bills.filter(period_start__lt=before)
    return round_kwh(bills.aggregate(total=Sum("total_kwh"))["total"])


@dataclass(frozen=True)
class TierProgress:
    year: int
    used_kwh: Decimal
    tier1_max_kwh: Decimal
    tier2_max_kwh: Decimal
    scale_kwh: Decimal  # the bar's full width: room past tier 2, or the usage if it is further

    @property
    def tier(self) -> int:
        if self.used_kwh <= self.tier1_max_kwh:
            return 1
        return 2 if self.used_kwh <= self.tier2_max_kwh else 3

    @property
    def left_in_tier(self) -> Decimal | None:
        """kWh left before the next tier starts (None in tier 3)."""
        if self.tier == 3:
            return None
        return (self.tier1_max_kwh if self.tier == 1 else self.tier2_max_kwh) - self.used_kwh

    def _percent(self, value: Decimal) -> Decimal:
        """Of the bar's width, to 0.1 %, at most 100."""
        share = percent(min(value, self.scale_kwh), self.scale_kwh)
        assert share is not None  # scale_kwh is at least tier 2's limit, which is above tier 1's
        return share

    @property
    def used_percent(self) -> Decimal:
        return self._percent(self.used_kwh)

    @property
    def tier1_percent(self) -> Decimal:
        return self._percent(self.tier1_max_kwh)

    @property
    def tier2_percent(self) -> Decimal:
        return self._percent(self.tier2_max_kwh)


def tier_progress(*, account: Account, on: dt.date) -> TierProgress | None:
    """kWh billed this calendar year against the tiers of the account's current tariff version; None
    when the account's tariff has no tiers (commercial, industrial)."""
    assignment = current_tariff(account=account, on=on)
    version = tariff_version_on(tariff=assignment.tariff, on=on) if assignment else None
    if version is None or version.tier1_max_kwh is None or version.tier2_max_kwh is None:
        return None
    used = billed_kwh_in_year(account=account, year=on.year)
    scale = max(version.tier2_max_kwh * Decimal("1.25"), used)
    return TierProgress(
        year=on.year,
        used_kwh=used,
        tier1_max_kwh=version.tier1_max_kwh,
        tier2_max_kwh=version.tier2_max_kwh,
        scale_kwh=scale,
    )


def quote_tariffs(*, account: Account, on: dt.date) -> tuple[Tariff | None, list[Tariff]]:
    """The account's current tariff and the tariffs a customer may compare it with (same category)."""
    assignment = current_tariff(account=account, on=on)
    current = assignment.tariff if assignment else None
    category = current.category if current else account.category
    return current, list(Tariff.objects.filter(category=category).order_by("code"))


def consumption_periods(*, version: TariffVersion) -> list[str]:
    """The kWh a quote needs on this version: "total" for single-rate tariffs, else its TOU periods."""
    if version.tou_calendar_id is None:
        return ["total"]
    return [p for p in TOU_REGISTERS if getattr(version, f"rate_{p}") is not None]
