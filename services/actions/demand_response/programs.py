"""Programs' incentive terms, versioned like tariffs: one version in force per day, [valid_from,
valid_to); a version that priced a settlement is locked and never edited again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from analytics.demand_response.incentive import IncentiveTerms
from services.actions.demand_response.errors import DemandResponseError
from services.models import DRProgram, DRProgramTerms


def terms_in_force(*, program: DRProgram, on: dt.date) -> DRProgramTerms | None:
    return program.terms.filter(valid_from__lte=on).exclude(valid_to__lte=on).order_by("-valid_from").first()


def program_in_season(*, program: DRProgram, on: dt.date) -> bool:
    return program.valid_from <= on and (program.valid_to is None or on < program.valid_to)


@transaction.atomic
def add_terms_version(
    *,
    program: DRProgram,
    valid_from: dt.date,
    energy_price: Decimal | None = None,
    capacity_price: Decimal | None = None,
    availability_price: Decimal | None = None,
    threshold_ratio: Decimal = Decimal("0.5"),
    payable_ratio_cap: Decimal | None = Decimal("1.2"),
    penalty_below_ratio: Decimal | None = None,
    penalty_factor: Decimal | None = None,
    cap_per_event: Decimal | None = None,
    cap_per_month: Decimal | None = None,
    cap_per_season: Decimal | None = None,
    summary: str = "",
) -> DRProgramTerms:
    """A new version from ``valid_from``; the version in force until then ends there."""
    if energy_price is None and capacity_price is None:
        raise DemandResponseError(_("Terms need an energy price or a capacity price."), code="no_price")
    previous = DRProgramTerms.objects.select_for_update().filter(program=program).order_by("-valid_from").first()
    if previous is not None and valid_from <= previous.valid_from:
        raise DemandResponseError(
            _("A new version must start after the latest one (%(day)s).") % {"day": previous.valid_from},
            code="terms_order",
            field="valid_from",
        )
    if previous is not None and (previous.valid_to is None or previous.valid_to > valid_from):
        previous.valid_to = valid_from
        previous.save(update_fields=["valid_to"])
    terms = DRProgramTerms.objects.create(
        program=program,
        version=(previous.version + 1) if previous else 1,
        valid_from=valid_from,
        energy_price=energy_price,
        capacity_price=capacity_price,
        availability_price=availability_price,
        threshold_ratio=threshold_ratio,
        payable_ratio_cap=payable_ratio_cap,
        penalty_below_ratio=penalty_below_ratio,
        penalty_factor=penalty_factor,
        cap_per_event=cap_per_event,
        cap_per_month=cap_per_month,
        cap_per_season=cap_per_season,
    )
    terms.summary = summary or describe_terms(terms=terms)
    terms.save(update_fields=["summary"])
    return terms


def incentive_terms(terms: DRProgramTerms) -> IncentiveTerms:
    return IncentiveTerms(
        energy_price=terms.energy_price,
        capacity_price=terms.capacity_price,
        threshold_ratio=terms.threshold_ratio,
        payable_ratio_cap=terms.payable_ratio_cap,
        penalty_below_ratio=terms.penalty_below_ratio,
        penalty_factor=terms.penalty_factor,
        cap_per_event=terms.cap_per_event,
    )


def describe_terms(*, terms: DRProgramTerms) -> str:
    """The terms in plain Chinese, as the customer reads them before accepting."""
    parts = []
    if terms.energy_price is not None:
        parts.append(f"按有效响应电量补贴 {terms.energy_price.normalize():f} 元/千瓦时")
    if terms.capacity_price is not None:
        parts.append(f"按有效响应平均负荷补贴 {terms.capacity_price.normalize():f} 元/千瓦·次")
    if terms.availability_price is not None:
        parts.append(f"约定容量备用补贴 {terms.availability_price.normalize():f} 元/千瓦·月")
    parts.append(f"实际响应低于约定的 {terms.threshold_ratio * 100:.0f}% 不予补贴")
    if terms.payable_ratio_cap is not None:
        parts.append(f"超过约定 {terms.payable_ratio_cap * 100:.0f}% 的部分不计补贴")
    if terms.penalty_below_ratio is not None and terms.penalty_factor:
        parts.append(
            f"低于约定的 {terms.penalty_below_ratio * 100:.0f}% 时按差额的 {terms.penalty_factor * 100:.0f}% 考核"
        )
    caps = [
        (label, value)
        for label, value in (
            ("每次", terms.cap_per_event),
            ("每月", terms.cap_per_month),
            ("每季", terms.cap_per_season),
        )
        if value is not None
    ]
    if caps:
        parts.append("补贴上限：" + "，".join(f"{label} {value:,.2f} 元" for label, value in caps))
    return "；".join(parts) + "。"
