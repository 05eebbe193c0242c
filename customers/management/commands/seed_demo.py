"""``manage.py seed_demo``: deterministic demo data and demo logins (see customers.demo)."""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core import clock
from customers import demo

# Above this many customers a progress bar is worth its noise.
PROGRESS_THRESHOLD = 2000


class Command(BaseCommand):
    help = "Seed realistic, deterministic demo data (customers, accounts, grid, demo users) and print the logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=200, help="number of customers (default 200)")
        parser.add_argument("--seed", type=int, default=42, help="random seed: same seed, same data (default 42)")
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=None,
            help="reference date for account and interaction dates (default: today)",
        )
        parser.add_argument(
            "--curves",
            type=int,
            default=None,
            help="at most this many accounts get a year of 15-minute load curves, whole transformer areas at a "
            "time, the demo customer's first (default: the demo customer's home area, three industrial "
            "customers' areas and one more area per 5,000 customers; 0: none)",
        )
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="only seed an empty database; otherwise just print the demo logins",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="allow running with production settings (it creates users with published passwords)",
        )

    def handle(self, *args, **options) -> None:
        if settings.SETTINGS_MODULE.endswith(".production") and not options["allow_production"]:
            raise CommandError("seed_demo creates users with published passwords; refusing under production settings")
        if options["customers"] < 1:
            raise CommandError("--customers must be at least 1")
        if demo.demo_users_exist() or demo.database_has_customers():
            if not options["if_empty"]:
                raise CommandError(
                    "the database already holds customers or demo users; seed an empty database "
                    "(or pass --if-empty to only print the demo logins)"
                )
            self.stdout.write("Database already seeded; nothing to do.")
            self._print_logins(demo.demo_logins() if demo.demo_users_exist() else [])
            return
        if options["curves"] is not None and options["curves"] < 0:
            raise CommandError("--curves must not be negative")
        started = time.perf_counter()
        as_of = options["as_of"] or clock.today()
        progress = options["customers"] >= PROGRESS_THRESHOLD and options["verbosity"] > 0
        with transaction.atomic():
            result = demo.seed_demo(
                customers=options["customers"],
                seed=options["seed"],
                as_of=as_of,
                batch_size=options["batch_size"],
                progress=progress,
            )
            # Then the apps above customers (meters and readings from billing, …), by dotted path.
            extras = demo.run_app_demo_seeders(
                seed=options["seed"],
                as_of=as_of,
                customers=options["customers"],
                curves=options["curves"],
                progress=progress,
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.customers} customers, {result.accounts} accounts, {result.feeders} feeders, "
                f"{result.areas} transformer areas, {result.interactions} interactions in {elapsed:.1f} s "
                f"(seed {options['seed']})."
            )
        )
        for line in extras:
            self.stdout.write(line)
        self._print_logins(result.logins)

    def _print_logins(self, logins: list[demo.DemoLogin]) -> None:
        if not logins:
            return
        rows = [("who", "login", "password"), *((x.who, x.login, x.password) for x in logins)]
        widths = [max(_display_width(row[i]) for row in rows) for i in range(3)]
        self.stdout.write("\nDemo logins (demo data only — business hall at /, staff console at /admin/):")
        for row in rows:
            line = "  ".join(_pad(cell, width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(f"  {line}".rstrip())
        example = demo.binding_example()
        if example is not None:
            self.stdout.write(
                f"\nTo try binding an account as a new customer: account number {example.account_number}, "
                f"last 6 characters of the holder's ID number {example.id_number_last6}."
            )


def _display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _display_width(text))
