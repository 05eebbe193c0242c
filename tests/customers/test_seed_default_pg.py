"""A plain ``seed_demo`` on PostgreSQL (200 customers, seed 42, seeded once for the module): readings
COPYed into the monthly partitions, the documented planted anomalies, the sample files giving exactly
their documented counts next to the curves, and line loss finding the planted anomalies and nothing else.

seed_demo plants, in the demo customer's home area, a bypassed meter recording 20 % from as_of − 120 days
and a stopped meter recording zero from as_of − 60 days, and prints both (billing/demo/metering.py). Its
last step computes line loss for the seeded year (analytics' hook).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import connection

from analytics.models import AreaLossDay, AreaLossMonth
from analytics.services.lineloss_suspects import loss_suspects
from billing.models import IntervalReading, Meter, MeterDayCompleteness
from billing.services.partitions import DEFAULT_PARTITION, existing_partitions, partition_name
from customers.models import Account
from tests.billing.test_sample_files import EXPECTED, FILES, ingest, summary
from tests.module_data import kept_for_module

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

AS_OF = dt.date(2026, 11, 20)


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--as-of", AS_OF.isoformat(), stdout=out)  # the defaults: 200 customers, seed 42
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> Iterator[str]:
    yield from kept_for_module(django_db_blocker, _seed)


def test_default_seed_writes_curves_into_month_partitions(seeded):
    line = next(row for row in seeded.splitlines() if row.startswith("Metering:"))
    written = int(re.search(r"([\d,]+) interval readings", line).group(1).replace(",", ""))
    assert written == IntervalReading.objects.count() > 1_000_000
    months = {dt.date(2025, 11, 1), *(dt.date(2026, m, 1) for m in range(1, 12))}
    assert {partition_name(m) for m in months} <= existing_partitions()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")  # noqa: S608 - a constant
        assert cursor.fetchone()[0] == 0
    # Completeness was refreshed for every meter-day written.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(DISTINCT (meter_id, (interval_start AT TIME ZONE 'Asia/Shanghai')::date)) "
            "FROM billing_intervalreading"
        )
        assert MeterDayCompleteness.objects.count() == cursor.fetchone()[0]


def test_planted_anomalies_are_in_the_demo_customers_home_area(seeded):
    planted = re.findall(r"(bypassed|stopped) meter (3301\d{10})", seeded)
    assert [kind for kind, _ in planted] == ["bypassed", "stopped"]
    for _, number in planted:
        meter = Meter.objects.select_related("area", "account").get(meter_no=number)
        assert meter.area.code == "TA33010500001" and meter.account.category == "residential"
    stopped = Meter.objects.get(meter_no=planted[1][1])
    late = IntervalReading.objects.filter(meter=stopped, interval_start__gte=dt.datetime(2026, 9, 21, tzinfo=dt.UTC))
    assert late.exists() and not late.filter(kwh__gt=0).exists()


def test_samples_give_the_documented_counts_after_a_plain_seed_demo(seeded):
    for name in FILES:
        assert summary(ingest(name)) == EXPECTED[name], name


def _planted(output: str) -> dict[str, str]:
    return {kind: account for kind, account in re.findall(r"(bypassed|stopped) meter \d+ \(account (\d+)\)", output)}


def test_seed_demo_line_loss_finds_the_planted_anomalies_and_nothing_else(seeded):
    line = next(row for row in seeded.splitlines() if row.startswith("Line loss:"))
    assert "11 areas" in line
    days = AreaLossDay.objects.filter(area__code="TA33010500001")
    assert days.count() == 365 and days.order_by("-day").first().day == AS_OF - dt.timedelta(days=1)
    # Realistic technical loss before the anomalies: every complete month of the home area in 3–7 %.
    early = AreaLossMonth.objects.filter(area__code="TA33010500001", month__lt=dt.date(2026, 7, 1), incomplete=False)
    assert early.count() >= 6 and all(0.03 <= m.loss_rate <= 0.07 for m in early)
    # A day without summary-meter intervals (an area with monthly register reads only, and the demo
    # customer's own account's curve in it) is incomplete, and no incomplete day is flagged.
    no_supply = AreaLossDay.objects.filter(summary_measured=0)
    assert no_supply.exists() and not no_supply.filter(incomplete=False).exists()
    assert not AreaLossDay.objects.filter(incomplete=True, flagged=True).exists()

    planted = _planted(seeded)
    assert set(planted) == {"bypassed", "stopped"}
    suspects = {s.account_number: s for s in loss_suspects(as_of=AS_OF)}  # every flagged area
    assert set(suspects) == set(planted.values())
    bypassed, stopped = suspects[planted["bypassed"]], suspects[planted["stopped"]]
    assert abs((bypassed.drop_started - (AS_OF - dt.timedelta(days=120))).days) <= 3
    assert abs((stopped.drop_started - (AS_OF - dt.timedelta(days=60))).days) <= 3
    assert stopped.recent_kwh_per_day == 0 and stopped.drop == 1
    # It records 20 % of what the home draws: its share of the area's supply fell by about 80 % (the
    # kWh fell more, summer to autumn).
    assert 0.75 <= bypassed.share_drop <= 0.9 and bypassed.drop > bypassed.share_drop
    assert bypassed.area_rate_after > bypassed.area_rate_before
    assert bypassed.evidence["drop_started"] == bypassed.drop_started.isoformat()

    # Asked about the home area alone (no area flag needed), with two recent windows: still only the two.
    accounts = set(planted.values())
    home = Account.objects.get(number=planted["stopped"]).area
    others = set(Account.objects.filter(area=home).exclude(number__in=accounts).values_list("number", flat=True))
    assert len(others) > 40
    for window in (30, 45):
        found = {s.account_number for s in loss_suspects(as_of=AS_OF, area_id=home.pk, window=window)}
        assert found == accounts and not (found & others)
