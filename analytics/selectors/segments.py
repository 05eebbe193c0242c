"""Reads of customer segmentation for the staff page, the admin, the API and the business hall.

The business hall's comparison shows a customer only aggregates of other accounts, and only when the
group (same segment of the current working-day run and same category, with readings this month)
holds at least ``MIN_GROUP`` accounts; quartiles are computed by PostgreSQL (percentile_cont over
the per-account sums), elsewhere from the same per-account sums with the same interpolation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import DecimalField, F, QuerySet, Sum

from analytics.models import AccountSegment, Segment, SegmentationRun
from analytics.models.segments import DayType
from billing.models import IntervalReading, Meter
from core.money import round_kwh
from core.months import month_start
from core.time import day_span
from customers.models import Account

MIN_GROUP = 5  # below this many accounts a median would come close to describing one neighbour


def current_runs() -> list[SegmentationRun]:
    """The current (latest finished) run of each day type that has one: working days first."""
    runs = (SegmentationRun.objects.current(day_type=day_type) for day_type in DayType.values)
    return [run for run in runs if run is not None]


def current_run_list(*, day_type: str | None = None) -> QuerySet[SegmentationRun]:
    """The current runs (of one day type, or all) with their segments, for the API's list."""
    ids = [run.pk for run in current_runs() if day_type in (None, run.day_type)]
    return SegmentationRun.objects.filter(pk__in=ids).prefetch_related("segments").order_by("day_type")


def account_segments(*, account: Account) -> QuerySet[AccountSegment]:
    """The account's memberships in the current runs, working days first."""
    return (
        AccountSegment.objects.filter(account=account, run__in=[run.pk for run in current_runs()])
        .select_related("run", "segment")
        .order_by("run__day_type")
    )


def segments_of(*, run: SegmentationRun) -> list[Segment]:
    return list(run.segments.order_by("number"))


def current_account_segments() -> QuerySet[AccountSegment]:
    """Account memberships of the current runs (what the admin lists and exports)."""
    return AccountSegment.objects.filter(run__in=[run.pk for run in current_runs()])


SEGMENT_TABLE_HEADERS = ["day_type", "segment", "shape", "label", "peak_hour", "accounts", "share_percent"]


def segment_table_rows(*, runs: list[SegmentationRun]) -> list[list]:
    """One row per segment of the given runs, centroid values (hour 00…23) appended: the staff page's table."""
    rows = []
    for run in runs:
        total = sum(s.size for s in run.segments.all()) or 1
        for segment in run.segments.order_by("number"):
            rows.append(
                [
                    run.day_type,
                    segment.number,
                    segment.shape,
                    segment.label,
                    segment.peak_hour,
                    segment.size,
                    round(100 * segment.size / total, 1),
                    *segment.centroid,
                ]
            )
    return rows


def segment_table_headers(*, runs: list[SegmentationRun]) -> list[str]:
    slots = max((run.slots for run in runs), default=24)
    return [*SEGMENT_TABLE_HEADERS, *(f"h{slot * 24 // slots:02d}" for slot in range(slots))]


ACCOUNT_EXPORT_HEADERS = ["account_number", "category", "area_code", "area_name", "day_type", "segment", "distance"]


def account_export_rows(*, memberships: QuerySet[AccountSegment]) -> list[list]:
    """What a campaign list may hold: account number, category, area, segment and distance — no names,
    phones or addresses (those stay masked in the console and out of files)."""
    rows = memberships.select_related("account__area", "segment", "run").order_by(
        "run__day_type", "segment__number", "distance"
    )
    return [
        [
            m.account.number,
            m.account.category,
            m.account.area.code,
            m.account.area.name,
            m.run.day_type,
            m.segment.label,
            round(m.distance, 4),
        ]
        for m in rows
    ]


# --- the business hall's comparison ----------------------------------------------------------------------


@dataclass(frozen=True)
class Quartiles:
    q1: float
    median: float
    q3: float


@dataclass(frozen=True)
class Comparison:
    membership: AccountSegment | None  # None: this account is in no current run
    period_start: dt.date
    period_end: dt.date  # exclusive
    my_kwh: float | None
    group_size: int  # accounts of the same segment and category with readings in the period (me included)
    quartiles: Quartiles | None  # None when the group is smaller than MIN_GROUP (privacy)
    min_group: int = MIN_GROUP

    @property
    def period_last_day(self) -> dt.date:
        return self.period_end - dt.timedelta(days=1)

    @property
    def hidden(self) -> bool:
        return self.membership is not None and self.quartiles is None

    @property
    def position(self) -> str | None:
        """Where my kWh falls: below the lower quartile, above the upper one, or in the middle half."""
        if self.quartiles is None or self.my_kwh is None:
            return None
        if self.my_kwh < self.quartiles.q1:
            return "below"
        if self.my_kwh > self.quartiles.q3:
            return "above"
        return "middle"

    @property
    def versus_median_percent(self) -> float | None:
        if self.quartiles is None or self.my_kwh is None or not self.quartiles.median:
            return None
        return round(100 * (self.my_kwh - self.quartiles.median) / self.quartiles.median, 1)


def membership_for(*, account: Account) -> AccountSegment | None:
    """The account's segment in the current working-day run, else in the current weekend run."""
    for run in current_runs():
        found = AccountSegment.objects.filter(run=run, account=account).select_related("segment", "run").first()
        if found is not None:
            return found
    return None


def _per_account_kwh(*, account_ids: QuerySet, start: dt.datetime, end: dt.datetime) -> QuerySet:
    """Σ kWh × multiplier per account over [start, end), one row per account with readings."""
    return (
        IntervalReading.objects.filter(
            meter__role=Meter.Role.CUSTOMER,
            meter__account_id__in=account_ids,
            interval_start__gte=start,
            interval_start__lt=end,
        )
        .values(account=F("meter__account_id"))
        .annotate(
            total=Sum(F("kwh") * F("meter__multiplier"), output_field=DecimalField(max_digits=24, decimal_places=6))
        )
        .order_by()
    )


def _interpolated(values: list[float], fraction: float) -> float:
    """percentile_cont: linear interpolation between the closest ranks."""
    position = fraction * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def _quartiles(per_account: QuerySet) -> tuple[int, Quartiles | None]:
    if connection.vendor == "postgresql":
        sql, params = per_account.values_list("total").query.sql_with_params()
        with connection.cursor() as cursor:
            # The inner SQL is Django's own compilation of the queryset; values travel as parameters.
            query = f"SELECT count(*), percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY t.total) FROM ({sql}) AS t"  # noqa: S608
            cursor.execute(query, params)
            count, cuts = cursor.fetchone()
        return count, Quartiles(*(float(c) for c in cuts)) if count else None
    values = sorted(float(row) for row in per_account.values_list("total", flat=True))
    if not values:
        return 0, None
    return len(values), Quartiles(*(_interpolated(values, f) for f in (0.25, 0.5, 0.75)))


def segment_comparison(*, account: Account, today: dt.date) -> Comparison:
    """This month so far (1st to ``today`` inclusive) for ``account`` against its segment-and-category
    group. Only aggregates of the others leave this function, and none for a group below MIN_GROUP."""
    start_day = month_start(today)
    end_day = today + dt.timedelta(days=1)
    start, end = day_span(start_day, end_day)
    membership = membership_for(account=account)
    if membership is None:
        return Comparison(None, start_day, end_day, None, 0, None)
    mine = _per_account_kwh(account_ids=Account.objects.filter(pk=account.pk).values("pk"), start=start, end=end)
    my_row = next(iter(mine), None)
    group_ids = AccountSegment.objects.filter(segment=membership.segment, account__category=account.category).values(
        "account_id"
    )
    count, quartiles = _quartiles(_per_account_kwh(account_ids=group_ids, start=start, end=end))
    return Comparison(
        membership=membership,
        period_start=start_day,
        period_end=end_day,
        my_kwh=float(round_kwh(my_row["total"])) if my_row else None,
        group_size=count,
        quartiles=quartiles if count >= MIN_GROUP else None,
    )
