"""``manage.py run_segmentation``: cluster the accounts' daily load shapes now, in this process."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.models.segments import DayType
from analytics.services.segments import SegmentationError, default_window, run_segmentation
from core import clock


class Command(BaseCommand):
    help = (
        "Segment accounts by their typical daily load shape (k-means); default: the three whole months before this one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day-type", choices=[*DayType.values, "both"], default="both")
        parser.add_argument("--from", dest="window_start", type=dt.date.fromisoformat, help="YYYY-MM-DD, inclusive")
        parser.add_argument("--to", dest="window_end", type=dt.date.fromisoformat, help="YYYY-MM-DD, exclusive")
        parser.add_argument("--k", type=int, default=None, help="a fixed number of clusters instead of choosing one")

    def handle(self, *args, **options) -> None:
        as_of = clock.now()
        start, end = default_window(as_of=as_of)
        day_types = DayType.values if options["day_type"] == "both" else [options["day_type"]]
        for day_type in day_types:
            try:
                run = run_segmentation(
                    window_start=options["window_start"] or start,
                    window_end=options["window_end"] or end,
                    day_type=day_type,
                    as_of=as_of,
                    k=options["k"],
                )
            except SegmentationError as error:
                raise CommandError(str(error)) from error
            if run.status != run.Status.FINISHED:
                self.stdout.write(self.style.WARNING(f"{day_type}: {run.status}: {run.message}"))
                continue
            sizes = ", ".join(f"{s.label} {s.size}" for s in run.segments.order_by("number"))
            self.stdout.write(
                self.style.SUCCESS(
                    f"{day_type} {run.window_start}–{run.window_end}: k={run.k}, {run.accounts_clustered} accounts "
                    f"({sizes}); skipped {run.skipped_reasons}"
                )
            )
