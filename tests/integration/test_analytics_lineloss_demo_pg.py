"""The planted line-loss anomalies of ``seed_demo`` are found, and nothing else in their area is.

seed_demo (200 customers, seed 42) plants, in the demo customer's home area, a bypassed meter recording
20 % from as_of − 120 days and a stopped meter recording zero from as_of − 60 days, and prints both
(billing/services/demo.py). Its last step computes line loss for the seeded year (analytics' hook).
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command

from analytics.models import AreaLossDay, AreaLossMonth
from analytics.services.lineloss_suspects import loss_suspects
from customers.models import Account

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture
def seeded() -> str:
    # Function scope like the other seed_demo tests: the test's transaction rolls the year of data back.
    out = io.StringIO()
    call_command("seed_demo", "--as-of", AS_OF.isoformat(), stdout=out)
    return out.getvalue()


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
