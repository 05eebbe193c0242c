"""One meter's day of interval readings for the staff console: every slot of the day with its stored
reading (or none), the day's completeness figures and the staff edits made on it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from billing.models import IntervalReading, Meter, MeterDayCompleteness, ReadingEdit
from core.time import day_span


@dataclass(frozen=True)
class MeterDay:
    meter: Meter
    day: dt.date
    rows: list[tuple[dt.datetime, IntervalReading | None]]  # every interval start of the day, in order
    completeness: MeterDayCompleteness | None
    edits: QuerySet[ReadingEdit]


def meter_day_readings(*, meter: Meter, day: dt.date) -> MeterDay:
    start, end = day_span(day, day + dt.timedelta(days=1))
    stored = {
        r.interval_start: r
        for r in IntervalReading.objects.filter(meter=meter, interval_start__gte=start, interval_start__lt=end)
    }
    step = dt.timedelta(minutes=meter.interval_minutes)
    slots = (start + i * step for i in range(int((end - start) / step)))
    return MeterDay(
        meter=meter,
        day=day,
        rows=[(slot, stored.get(slot)) for slot in slots],
        completeness=MeterDayCompleteness.objects.filter(meter=meter, day=day).first(),
        edits=ReadingEdit.objects.filter(meter=meter, interval_start__gte=start, interval_start__lt=end).select_related(
            "edited_by"
        ),
    )
