"""Line loss per transformer area: hand-computed figures, flags, incomplete days, months, the task.

Every area here has a summary meter (multiplier 100) and customer meters; readings are written per
15-minute interval, completeness comes from billing's refresh_completeness like after an ingest.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import override_settings

from analytics.models import AreaLossDay, AreaLossMonth
from analytics.services.lineloss import compute_line_loss
from analytics.tasks.lineloss import compute_line_loss_task
from billing.models import IntervalReading, Meter
from billing.services.completeness import refresh_completeness
from tests.factories import SHANGHAI, make_account, make_area, make_meter

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)
AS_OF = dt.datetime(2026, 6, 1, tzinfo=SHANGHAI)  # long after every day used here: all of them are over


class Area:
    """One area: summary meter × 100, customer A × 1, customer B × 2 (a CT-metered shop)."""

    def __init__(self, code: str = "A-LOSS"):
        self.area = make_area(code=code)
        self.summary = Meter.objects.create(
            meter_no=f"{code}-SUM",
            role=Meter.Role.AREA_SUMMARY,
            area=self.area,
            multiplier=Decimal("100"),
            installed_at=dt.datetime(2026, 1, 1, tzinfo=SHANGHAI),
        )
        self.a = make_meter(account=make_account(area=self.area), meter_no=f"{code}-A")
        self.b = make_meter(account=make_account(area=self.area), meter_no=f"{code}-B", multiplier=Decimal("2"))

    def day(self, day: dt.date, *, summary: str, a: str, b: str, skip_a: int = 0, skip_summary: int = 0) -> None:
        """96 intervals of the given meter-side kWh each; ``skip_*``: that many intervals missing at the end."""
        start = dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)
        rows = []
        for meter, kwh, skip in ((self.summary, summary, skip_summary), (self.a, a, skip_a), (self.b, b, 0)):
            for slot in range(96 - skip):
                rows.append(
                    IntervalReading(
                        meter=meter, interval_start=start + dt.timedelta(minutes=15 * slot), kwh=Decimal(kwh)
                    )
                )
        IntervalReading.objects.bulk_create(rows)
        refresh_completeness(meter_days=[(m.pk, day) for m in (self.summary, self.a, self.b)], as_of=AS_OF)

    def normal_days(self, first: dt.date, count: int, *, summary: str = "0.0500") -> None:
        for i in range(count):
            self.day(first + dt.timedelta(days=i), summary=summary, a="2.0000", b="1.1875")


def _row(area: Area, day: dt.date) -> AreaLossDay:
    return AreaLossDay.objects.get(area=area.area, day=day)


def test_hand_built_area_gives_exact_loss_kwh_and_rate():
    area = Area()
    # summary 0.0500 × 100 = 5 kWh per interval × 96 = 480 kWh supplied
    # A 2.0000 × 1 × 96 = 192 kWh; B 1.1875 × 2 × 96 = 228 kWh → consumed 420 kWh
    # loss 480 − 420 = 60 kWh, rate 60 / 480 = 0.125
    area.day(DAY, summary="0.0500", a="2.0000", b="1.1875")
    result = compute_line_loss(start=DAY, end=DAY + dt.timedelta(days=1), as_of=AS_OF)
    row = _row(area, DAY)
    assert (row.supplied_kwh, row.consumed_kwh, row.loss_kwh) == (Decimal("480"), Decimal("420"), Decimal("60"))
    assert row.loss_rate == Decimal("0.125000")
    assert (row.summary_expected, row.summary_measured) == (96, 96)
    assert (row.customer_expected, row.customer_measured, row.customer_meters) == (192, 192, 2)
    assert row.summary_completeness == row.customer_completeness == Decimal("1")
    # 12.5 % is above the default 10 % threshold; no history yet, so no jump test.
    assert row.flag_high and not row.flag_negative and not row.flag_jump and row.flagged
    assert row.baseline_rate is None and not row.incomplete
    assert (result.areas, result.days, result.flagged_days, result.incomplete_days) == (1, 1, 1, 0)


def test_rate_at_the_threshold_is_not_high_and_a_negative_rate_is_flagged():
    area = Area()
    # supplied 480, consumed 192 + 240 (B 1.2500 × 2 × 96) = 432, loss 48, rate 0.1 exactly: not above 0.10
    area.day(DAY, summary="0.0500", a="2.0000", b="1.2500")
    # next day the summary reads less than the customers: 0.0400 × 100 × 96 = 384 < 432 → rate −48/384 = −0.125
    area.day(DAY + dt.timedelta(days=1), summary="0.0400", a="2.0000", b="1.2500")
    compute_line_loss(start=DAY, end=DAY + dt.timedelta(days=2), as_of=AS_OF)
    at_threshold, negative = _row(area, DAY), _row(area, DAY + dt.timedelta(days=1))
    assert at_threshold.loss_rate == Decimal("0.1") and not at_threshold.flagged
    assert negative.loss_kwh == Decimal("-48") and negative.loss_rate == Decimal("-0.125")
    assert negative.flag_negative and negative.flagged and not negative.flag_high


@override_settings(LINE_LOSS_MAX_RATE=0.5)
def test_threshold_comes_from_settings():
    area = Area()
    area.day(DAY, summary="0.0500", a="2.0000", b="1.1875")  # 12.5 %, as above
    compute_line_loss(start=DAY, end=DAY + dt.timedelta(days=1), as_of=AS_OF)
    assert not _row(area, DAY).flag_high


def test_jump_against_the_areas_own_history():
    area = Area()
    # 10 days at 12.5 % (as above), then a day with the summary at 0.0560: 537.6 supplied, loss 117.6, 21.875 %
    area.normal_days(DAY, 10)
    jump_day = DAY + dt.timedelta(days=10)
    area.day(jump_day, summary="0.0560", a="2.0000", b="1.1875")
    with override_settings(LINE_LOSS_MAX_RATE=0.5):  # only the jump may fire
        compute_line_loss(start=DAY, end=jump_day + dt.timedelta(days=1), as_of=AS_OF)
    row = _row(area, jump_day)
    assert row.loss_rate == Decimal("0.218750")
    assert row.baseline_rate == Decimal("0.125")  # the median of the ten days before
    assert row.flag_jump and row.flagged and not row.flag_high
    # The days before: 7 of them had enough history, none jumped (identical rates, MAD 0).
    assert not AreaLossDay.objects.filter(area=area.area, day__lt=jump_day, flagged=True).exists()
    assert AreaLossDay.objects.filter(area=area.area, baseline_rate__isnull=False).count() == 11 - 7


def test_an_incomplete_day_is_not_flagged_and_does_not_poison_the_baseline():
    area = Area()
    area.normal_days(DAY, 8)  # 12.5 % each
    bad = DAY + dt.timedelta(days=8)
    # Customer A lost 48 of its 96 intervals: consumed 96 + 228 = 324, "loss" 156 = 32.5 % — a data gap, not loss.
    area.day(bad, summary="0.0500", a="2.0000", b="1.1875", skip_a=48)
    after = bad + dt.timedelta(days=1)
    area.day(after, summary="0.0500", a="2.0000", b="1.1875")
    # Recompute the earlier days in one run and the later ones in a second: history is read back from the table.
    with override_settings(LINE_LOSS_MAX_RATE=0.5):
        compute_line_loss(start=DAY, end=after, as_of=AS_OF)
        compute_line_loss(start=after, end=after + dt.timedelta(days=1), as_of=AS_OF)
    row = _row(area, bad)
    assert row.loss_rate == Decimal("0.325") and row.customer_measured == 144 and row.customer_expected == 192
    assert row.customer_completeness == Decimal("0.75")
    assert row.incomplete and not row.flagged and not row.flag_jump and row.baseline_rate is None
    # The next day's baseline is the median of the 8 complete days only: 12.5 %, not pulled up by 32.5 %.
    nxt = _row(area, after)
    assert nxt.baseline_rate == Decimal("0.125") and not nxt.flagged


def test_a_meter_that_sent_nothing_makes_the_day_incomplete():
    area = Area()
    area.day(DAY, summary="0.0500", a="2.0000", b="1.1875")
    # Day 2: readings from the summary and A only; B has no completeness row at all.
    start = dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)
    IntervalReading.objects.bulk_create(
        IntervalReading(meter=m, interval_start=start + dt.timedelta(minutes=15 * s), kwh=Decimal("0.05"))
        for m in (area.summary, area.a)
        for s in range(96)
    )
    refresh_completeness(meter_days=[(area.summary.pk, start.date()), (area.a.pk, start.date())], as_of=AS_OF)
    compute_line_loss(start=DAY, end=DAY + dt.timedelta(days=2), as_of=AS_OF)
    row = _row(area, start.date())
    assert (row.customer_expected, row.customer_measured) == (192, 96)
    assert row.incomplete and not row.flagged


def test_a_day_not_yet_over_expects_only_the_intervals_before_as_of():
    area = Area()
    area.day(DAY, summary="0.0500", a="2.0000", b="1.1875", skip_a=48, skip_summary=48)
    noon = dt.datetime.combine(DAY, dt.time(12), tzinfo=SHANGHAI)
    compute_line_loss(start=DAY, end=DAY + dt.timedelta(days=1), as_of=noon)
    row = _row(area, DAY)
    # 00:00–12:00 is 48 quarter-hours per meter: the morning's data are complete, not half missing.
    assert (row.summary_expected, row.customer_expected) == (48, 2 * 48)
    assert not row.incomplete


def test_recomputing_is_idempotent_and_months_roll_up():
    area = Area()
    area.normal_days(dt.date(2026, 3, 30), 4)  # 30, 31 March, 1, 2 April
    for _ in range(2):
        compute_line_loss(start=dt.date(2026, 3, 30), end=dt.date(2026, 4, 3), as_of=AS_OF)
    assert AreaLossDay.objects.filter(area=area.area).count() == 4
    march, april = AreaLossMonth.objects.filter(area=area.area).order_by("month")
    assert (march.month, march.days, april.month, april.days) == (dt.date(2026, 3, 1), 2, dt.date(2026, 4, 1), 2)
    # Two days of 480 supplied and 420 consumed each.
    assert (march.supplied_kwh, march.consumed_kwh, march.loss_kwh) == (Decimal("960"), Decimal("840"), Decimal("120"))
    assert march.loss_rate == Decimal("0.125") and march.complete_days == 2 and march.customer_meters == 2


def test_only_the_areas_asked_for_are_computed():
    first, second = Area("A-ONE"), Area("A-TWO")
    first.day(DAY, summary="0.0500", a="2.0000", b="1.1875")
    second.day(DAY, summary="0.0500", a="2.0000", b="1.1875")
    result = compute_line_loss(start=DAY, end=DAY + dt.timedelta(days=1), as_of=AS_OF, area_ids=[second.area.pk])
    assert result.areas == 1
    assert list(AreaLossDay.objects.values_list("area__code", flat=True)) == ["A-TWO"]


def test_bad_period_is_refused():
    with pytest.raises(ValueError, match="end must be after start"):
        compute_line_loss(start=DAY, end=DAY, as_of=AS_OF)


def test_task_computes_the_days_asked_for_and_beat_runs_it_nightly():
    area = Area()
    area.day(DAY, summary="0.0500", a="2.0000", b="1.1875")
    text = compute_line_loss_task(start=DAY.isoformat(), end=(DAY + dt.timedelta(days=1)).isoformat())
    assert "1 area-days over 1 areas" in text
    assert _row(area, DAY).loss_rate == Decimal("0.125")
    entry = settings.CELERY_BEAT_SCHEDULE["analytics.compute_line_loss"]
    assert entry["task"] == "analytics.compute_line_loss" and entry["options"]["queue"] == "analytics"
