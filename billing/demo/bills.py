"""Demo billing data on top of the demo meters: every account gets a tariff for its category, every
closed month the meters cover is billed by the real billing run (so each account's bills add up to what
its meters measured, and the bill's yearly tier meter agrees with the usage page), most older bills are
paid (some are not, so there are arrears and late fees), and the demo customer has something to pay
online.

Which months: the metering demo reads every meter at 00:00 on the 1st of the last thirteen months
(curve meters daily, from the first whole day of their year of curves). A month is billed for the
accounts whose meter was read at its start (or at its installation during it); so the twelve months before
``as_of``'s month are billed for every account with monthly reads, and the first of them is left out only
for curve meters whose curves start after its 1st — there is no metered start for that month."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from billing.demo.metering import seed_metering_demo
from billing.models import Bill, Meter, RegisterRead, Tariff, TariffAssignment
from billing.services.billing_run import run_billing, start_billing_run
from billing.services.late_fees import post_late_fees
from billing.services.ledger import outstanding
from billing.services.payments import record_counter_payment
from core.months import add_months, month_start
from core.time import local_datetime, local_midnight
from customers.models import Account, PortalBinding

DEMO_CUSTOMER_USERNAME = "c_demo"
BILLED_MONTHS = 12  # every closed month of the metering demo's thirteen monthly reads
# A large seed (`--customers 10000`, a load-test database) bills fewer months: ten months of payments
# posted one by one through the ledger cost it ~24 s more (docs/benchmarks.md).
LARGE_SEED_CUSTOMERS = 2000
LARGE_SEED_BILLED_MONTHS = 3
UNPAID_SHARE = 0.08  # older bills left unpaid: arrears for the staff console and late fees
# Bills and payments are demo scenery, not load: a large seed bills the demo customer's accounts and
# others up to this many (ten months of 300 ≈ the three months of 1,000 it used to bill), so
# `seed_demo --customers 10000` stays quick. The default demo (235 accounts) bills every account.
MAX_BILLED_ACCOUNTS = 300


@dataclass(frozen=True)
class BillingDemoResult:
    months: int
    assignments: int
    issued: int
    held: int
    payments: int

    def __str__(self) -> str:
        return (
            f"Billing: {self.assignments:,} tariff assignments; the last {self.months} months billed: "
            f"{self.issued:,} bills issued, {self.held:,} held for review; {self.payments:,} payments."
        )


def _tariff_code(*, category: str, has_tou_registers: bool) -> str:
    if category == Account.Category.RESIDENTIAL:
        return "ZJ-RES-TOU" if has_tou_registers else "ZJ-RES-FLAT"
    if category == Account.Category.INDUSTRIAL:
        return "EX-IND-2P"
    return "EX-COM-TOU"  # commercial and agricultural


def _assign_tariffs() -> int:
    tariffs = {t.code: t for t in Tariff.objects.all()}
    tou_accounts = set(
        Meter.objects.filter(role=Meter.Role.CUSTOMER, has_tou_registers=True).values_list("account_id", flat=True)
    )
    assignments = [
        TariffAssignment(
            account_id=account_id,
            tariff=tariffs[_tariff_code(category=category, has_tou_registers=account_id in tou_accounts)],
            valid_from=max(opened_on, dt.date(2024, 1, 1)),
        )
        for account_id, category, opened_on in Account.objects.values_list("id", "category", "opened_on")
    ]
    TariffAssignment.objects.bulk_create(assignments, batch_size=5000)
    return len(assignments)


def _months_before(as_of: dt.date, *, count: int) -> list[tuple[dt.date, dt.date]]:
    end = month_start(as_of)
    months: list[tuple[dt.date, dt.date]] = []
    for _ in range(count):
        start = add_months(end, -1)
        months.insert(0, (start, end))
        end = start
    return months


def _accounts_to_bill(*, demo_accounts: set[int]) -> list[int]:
    """The demo customer's accounts first, then others in account order, MAX_BILLED_ACCOUNTS in all."""
    others = Account.objects.exclude(pk__in=demo_accounts).order_by("pk").values_list("pk", flat=True)
    return [*sorted(demo_accounts), *others[: max(0, MAX_BILLED_ACCOUNTS - len(demo_accounts))]]


def _metered_from_start(*, account_ids: list[int], start: dt.date) -> list[int]:
    """The accounts among ``account_ids`` whose month from ``start`` is metered from its beginning: the
    meter was read at 00:00 on ``start``, or at its installation when it was installed later (a first
    bill). A month without a metered start is not billed: there is nothing true to bill."""
    moment = local_midnight(start)
    starts = {
        meter_id: max(moment, installed_at)
        for meter_id, installed_at in Meter.objects.filter(account_id__in=account_ids).values_list("id", "installed_at")
    }
    read = RegisterRead.objects.filter(meter_id__in=starts, read_at__gte=moment).values_list(
        "meter_id", "read_at", "meter__account_id"
    )
    metered = {account_id for meter_id, read_at, account_id in read if read_at == starts[meter_id]}
    return [a for a in account_ids if a in metered]


def seed_billing_demo(
    *, seed: int, as_of: dt.date, customers: int, curves: int | None = None, progress: bool = False, **_ignored
) -> str:
    """The billing app's seed_demo hook: meters and readings first, then tariffs, bills and payments."""
    metering = seed_metering_demo(seed=seed, as_of=as_of, customers=customers, curves=curves, progress=progress)
    rng = random.Random(seed * 7919 + 11)  # noqa: S311 - reproducible demo data
    assignments = _assign_tariffs()
    issued = held = payments = 0
    demo_accounts = set(
        PortalBinding.objects.filter(user__username=DEMO_CUSTOMER_USERNAME).values_list("account_id", flat=True)
    )
    billed = _accounts_to_bill(demo_accounts=demo_accounts)
    months = _months_before(
        as_of, count=BILLED_MONTHS if customers <= LARGE_SEED_CUSTOMERS else LARGE_SEED_BILLED_MONTHS
    )
    for index, (start, end) in enumerate(months):
        run_as_of = local_datetime(end + dt.timedelta(days=1), dt.time(9))
        run = start_billing_run(
            period_start=start,
            period_end=end,
            as_of=run_as_of,
            account_ids=_metered_from_start(account_ids=billed, start=start),
            chunk_size=1000,
        )
        result = run_billing(run_id=run.pk, announce=False)  # seeded history: nobody is told of old bills
        issued, held = issued + result.issued, held + result.held
        if index == len(months) - 1:
            break  # the latest month stays due: there is something to pay
        paid_on = local_datetime(end + dt.timedelta(days=rng.randint(3, 12)), dt.time(10))
        for bill in (
            Bill.objects.filter(period_start=start, status=Bill.Status.ISSUED).select_related("account").order_by("pk")
        ):
            if bill.account_id not in demo_accounts and rng.random() < UNPAID_SHARE:
                continue
            amount = outstanding(bill=bill)
            if amount > 0:
                channel = rng.choice(["bank", "bank", "counter"])
                record_counter_payment(
                    user=None,
                    account=bill.account,
                    amount=amount,
                    channel=channel,
                    reference=f"DEMO-{bill.pk}",
                    as_of=paid_on,
                    announce=False,
                )
                payments += 1
    for back in range(5, 0, -1):  # a few days of late fees on the arrears
        post_late_fees(day=as_of - dt.timedelta(days=back))
    billing = BillingDemoResult(
        months=len(months), assignments=assignments, issued=issued, held=held, payments=payments
    )
    return f"{metering}\n{billing}"
