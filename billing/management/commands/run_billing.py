"""``manage.py run_billing 2026-11 [--account 3301020001 …] [--queue]``: bill a month in this process
(or hand it to the billing workers with --queue) and print the run's counts."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.services.billing_run import queue_billing_run, run_billing, start_billing_run
from core import clock
from core.months import next_month
from customers.models import Account


def _month(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"{value!r} is not a month like 2026-11") from None


class Command(BaseCommand):
    help = "Bill one month: every account supplied in it, or the given account numbers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("month", type=_month, help="YYYY-MM")
        parser.add_argument("--account", action="append", default=None, help="account number (repeatable)")
        parser.add_argument("--queue", action="store_true", help="run on the billing workers instead of here")
        parser.add_argument("--chunk-size", type=int, default=1000)

    def handle(self, *args, **options) -> None:
        start = options["month"]
        end = next_month(start)
        account_ids = None
        if options["account"]:
            found = dict(Account.objects.filter(number__in=options["account"]).values_list("number", "pk"))
            missing = sorted(set(options["account"]) - set(found))
            if missing:
                raise CommandError(f"no such account(s): {', '.join(missing)}")
            account_ids = list(found.values())
        if options["queue"]:
            run = queue_billing_run(
                period_start=start,
                period_end=end,
                as_of=clock.now(),
                account_ids=account_ids,
                chunk_size=options["chunk_size"],
            )
            self.stdout.write(
                f"billing run #{run.pk} for {start:%Y-%m} queued: {run.accounts} accounts in {run.chunks.count()} chunks"
            )
            return
        run = start_billing_run(
            period_start=start,
            period_end=end,
            as_of=clock.now(),
            account_ids=account_ids,
            chunk_size=options["chunk_size"],
        )
        result = run_billing(run_id=run.pk)
        self.stdout.write(
            f"billing run #{run.pk} {start:%Y-%m}: {result.issued} issued, {result.held} held for review, "
            f"{result.existing} already billed, {result.skipped} skipped"
        )
        run.refresh_from_db()
        for number, reason in list(run.problems.items())[:20]:
            self.stdout.write(f"  skipped {number}: {reason}")
