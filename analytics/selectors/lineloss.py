"""Reads of line-loss figures shared by the staff pages, the API and the exports."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, QuerySet

from analytics.models import AreaLossDay, AreaLossMonth
from core.months import month_start
from customers.models import TransformerArea


def loss_months() -> list[dt.date]:
    """Months with figures, newest first."""
    return list(AreaLossMonth.objects.order_by("-month").values_list("month", flat=True).distinct())


def default_loss_month(*, months: list[dt.date], today: dt.date) -> dt.date | None:
    """The month the ranking opens on: the newest that has ended. The current month is still filling in
    (every area short of days, rates of a partial month), which is not what a clerk comes to read."""
    this_month = month_start(today)
    return next((month for month in months if month < this_month), months[0] if months else None)


def area_month_ranking(
    *, month: dt.date, feeder_code: str | None = None, area_code: str | None = None, flagged_only: bool = False
) -> QuerySet[AreaLossMonth]:
    """Areas of one month by loss rate, highest first; areas without a rate (nothing supplied) last."""
    rows = AreaLossMonth.objects.filter(month=month).select_related("area", "area__feeder")
    if feeder_code:
        rows = rows.filter(area__feeder__code=feeder_code)
    if area_code:
        rows = rows.filter(area__code=area_code)
    if flagged_only:
        rows = rows.filter(flagged=True)
    return rows.order_by(F("loss_rate").desc(nulls_last=True), "area__code")


def area_loss_days(*, area_id: int, start: dt.date, end: dt.date) -> QuerySet[AreaLossDay]:
    """One area's days ``start`` ≤ day < ``end``, oldest first."""
    return AreaLossDay.objects.filter(area_id=area_id, day__gte=start, day__lt=end).order_by("day")


def area_loss_months(*, area_id: int) -> QuerySet[AreaLossMonth]:
    return AreaLossMonth.objects.filter(area_id=area_id).order_by("month")


def last_loss_day(*, area_id: int) -> dt.date | None:
    """The newest day with figures for the area."""
    return AreaLossDay.objects.filter(area_id=area_id).order_by("-day").values_list("day", flat=True).first()


def area_by_code(*, code: str) -> TransformerArea | None:
    """The transformer area a page or API parameter names by its code, None when there is none."""
    return TransformerArea.objects.select_related("feeder").filter(code=code).first()
