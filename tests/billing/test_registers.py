"""Every cumulative register the same way (billing.services.registers): total, sharp, peak, flat, valley
and reactive, each across a rollover and going backwards, at multiplier 1 and 40.

The reads (meter-side, six-digit dials: rollover at 1,000,000), 16 Nov → 1 Dec 2026, two-part EX-IND-2P:

  register   start     end       advance
  total      1000.00   4200.00   3200.00
  sharp       100.00    300.00    200.00
  peak        300.00   1300.00   1000.00
  flat        300.00   1300.00   1000.00
  valley      300.00   1300.00   1000.00
  reactive    500.00   2483.20   1983.20    cos φ = 3200 / √(3200² + 1983.2²) = 3200 / 3764.65 = 0.850

Rollover: the register under test starts at 999,900.00 and ends at (advance − 100.00): unwrapped, the
same advance, so the bill is the plain bill to the fen. Backwards: it ends 100.00 below its start.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from billing.models import Bill, RegisterRead
from billing.services.registers import Backwards, register_advance
from tests.billing.test_bills import assign, at, bill_for
from tests.factories import make_account, make_meter

pytestmark = pytest.mark.django_db

START = {
    "total": "1000.00",
    "sharp": "100.00",
    "peak": "300.00",
    "flat": "300.00",
    "valley": "300.00",
    "reactive": "500.00",
}
ADVANCE = {
    "total": "3200.00",
    "sharp": "200.00",
    "peak": "1000.00",
    "flat": "1000.00",
    "valley": "1000.00",
    "reactive": "1983.20",
}
REGISTERS = tuple(START)
ROLLOVER = D("1000000")


def test_register_advance_unwraps_once_and_refuses_to_go_backwards():
    assert register_advance(start=D("10.00"), end=D("25.50"), rollover=ROLLOVER) == D("15.50")
    assert register_advance(start=D("999900.00"), end=D("150.00"), rollover=ROLLOVER) == D("250.00")
    assert register_advance(start=D("5000.00"), end=D("4900.00"), rollover=ROLLOVER) == Backwards(
        D("5000.00"), D("4900.00")
    )
    # a fall that is not from the top tenth to the bottom tenth is not a wrap
    assert isinstance(register_advance(start=D("850000.00"), end=D("50.00"), rollover=ROLLOVER), Backwards)


def _bill(*, multiplier: str, register: str | None = None, case: str = "plain") -> Bill:
    account = make_account(
        category="industrial", contracted_kva=D("1000"), voltage_level="10kV", opened_on=dt.date(2026, 11, 16)
    )
    meter = make_meter(account=account, installed_at=at("2026-11-16"), multiplier=D(multiplier))
    assign(account, "EX-IND-2P")
    start = {k: D(v) for k, v in START.items()}
    end = {k: start[k] + D(ADVANCE[k]) for k in REGISTERS}
    if case == "rollover":
        start[register] = ROLLOVER - D("100.00")
        end[register] = D(ADVANCE[register]) - D("100.00")
    elif case == "backwards":
        end[register] = start[register] - D("100.00")
    RegisterRead.objects.create(meter=meter, read_at=at("2026-11-16"), **start)
    RegisterRead.objects.create(meter=meter, read_at=at("2026-12-01"), **end)
    return bill_for(account)


@pytest.mark.parametrize("multiplier", ["1", "40"])
@pytest.mark.parametrize("register", REGISTERS)
def test_a_rollover_of_any_register_bills_as_its_unwrapped_advance(register, multiplier):
    plain = _bill(multiplier=multiplier)
    wrapped = _bill(multiplier=multiplier, register=register, case="rollover")
    assert plain.status == wrapped.status == "issued", wrapped.hold_reasons
    assert plain.power_factor == wrapped.power_factor == D("0.850")
    reads = {r.register: r.kwh for r in wrapped.reads.all()}
    expected = {k: D(ADVANCE[k]) * D(multiplier) for k in REGISTERS if k != "reactive"}  # × multiplier
    assert {k: reads[k] for k in expected} == expected
    assert wrapped.total_kwh == plain.total_kwh == D("3200.00") * D(multiplier)
    assert wrapped.amount == plain.amount


@pytest.mark.parametrize("multiplier", ["1", "40"])
@pytest.mark.parametrize("register", REGISTERS)
def test_a_register_going_backwards_holds_the_bill_saying_which(register, multiplier):
    bill = _bill(multiplier=multiplier, register=register, case="backwards")
    assert bill.status == "held" and bill.due_date is None
    codes = [h["code"] for h in bill.hold_reasons]
    assert codes == ["register_backwards"], bill.hold_reasons  # not "zero usage", not "no power factor"
    [reason] = bill.hold_reasons
    start = D(START[register])
    assert (
        f" {register if register != 'sharp' else 'sharp-peak'} register went backwards from {start}"
        in reason["message"]
    )
    assert f"to {start - D('100.00')}" in reason["message"]


def test_a_power_factor_of_zero_is_never_replaced_by_the_standard():
    """Reactive 10,000,000 kvarh against 3,200 kWh: cos φ = 3200 / √(3200² + 10⁷²) = 0.00032 → 0.000.
    Stored as computed and the bill held for it: never priced at the 0.90 standard as if it were met
    (the bill used to say "cos φ 0.90 vs 0.90", no adjustment, while it stored 0.000)."""
    account = make_account(
        category="industrial", contracted_kva=D("1000"), voltage_level="10kV", opened_on=dt.date(2026, 11, 16)
    )
    meter = make_meter(account=account, installed_at=at("2026-11-16"), register_digits=8)
    assign(account, "EX-IND-2P")
    start = {k: D(v) for k, v in START.items()}
    end = {k: start[k] + D(ADVANCE[k]) for k in REGISTERS}
    end["reactive"] = start["reactive"] + D("10000000.00")
    RegisterRead.objects.create(meter=meter, read_at=at("2026-11-16"), **start)
    RegisterRead.objects.create(meter=meter, read_at=at("2026-12-01"), **end)
    bill = bill_for(account)
    assert bill.power_factor == D("0.000"), bill.hold_reasons
    assert bill.status == "held" and [h["code"] for h in bill.hold_reasons] == ["impossible_power_factor"]
    assert not bill.lines.filter(code="power_factor").exists()  # no adjustment priced on an assumed cos φ
