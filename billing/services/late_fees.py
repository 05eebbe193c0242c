"""Late-payment fees (电费违约金), posted by a daily beat job.

From the day after the due date, every day an issued bill is still (partly) unpaid accrues a fee on
its outstanding amount: residential accounts 0.1 % a day; other categories 0.2 % a day while the
arrears are from the current calendar year and 0.3 % a day once they are from an earlier year. Each
day's fee is rounded to 0.01 half-up and posted with the key ``late_fee:<bill>:<day>``, so running the
job twice for a day (or catching up several days) never charges a day twice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billing.models import Bill, LedgerEntry
from billing.selectors.overdue import overdue_bills
from billing.services.ledger import post_entry
from core.money import round_money
from customers.models import Account

RESIDENTIAL_RATE = Decimal("0.001")
CURRENT_YEAR_RATE = Decimal("0.002")
EARLIER_YEAR_RATE = Decimal("0.003")


def daily_rate(*, bill: Bill, day: dt.date) -> Decimal:
    if bill.account.category == Account.Category.RESIDENTIAL:
        return RESIDENTIAL_RATE
    return EARLIER_YEAR_RATE if bill.period_start.year < day.year else CURRENT_YEAR_RATE


def post_late_fees(*, day: dt.date) -> int:
    """Post ``day``'s late fees for every overdue bill; returns how many fees were newly posted."""
    posted = 0
    for bill in overdue_bills(on=day).select_related("account").iterator(chunk_size=2000):
        due = bill.open_amount  # type: ignore[attr-defined]  # what it still owed at the end of ``day`` (annotation)
        rate = daily_rate(bill=bill, day=day)
        fee = round_money(due * rate)
        if fee <= 0:
            continue
        _, created = post_entry(
            account=bill.account,
            kind=LedgerEntry.Kind.LATE_FEE,
            amount=fee,
            description=f"违约金 late fee {day:%Y-%m-%d}: {due} × {rate * 100:.1f} % ({bill.period_start:%Y-%m} bill)",
            posting_key=f"late_fee:{bill.pk}:{day.isoformat()}",
            occurred_on=day,
            bill=bill,
        )
        posted += created
    return posted
