"""``manage.py ingest_weather FILE.csv``: load temperature observations and forecasts per transformer area.

Columns: ``area`` (transformer-area code), ``at`` (ISO 8601; naive = Asia/Shanghai wall time),
``temperature_c``, optional ``kind`` (observed | forecast, default observed) and ``issued_at`` (forecasts).
Good rows are stored (idempotent upsert by area, moment and kind); each bad row is reported with its
line number. Exit status is non-zero only when the file cannot be read at all.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.services.weather import WEATHER_FIELDS, ingest_weather

REQUIRED = {"area", "at", "temperature_c"}


class Command(BaseCommand):
    help = "Ingest weather (temperature per transformer area) from a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--show-rejected", type=int, default=20, help="rejected rows to list (default 20)")

    def handle(self, *args, path: Path, show_rejected: int, **options) -> None:
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                header = {name.strip() for name in reader.fieldnames or []}
                missing = REQUIRED - header
                if missing:
                    raise CommandError(
                        f"{path}: missing column(s) {', '.join(sorted(missing))}; expected {', '.join(WEATHER_FIELDS)}"
                    )
                records = [{(k or "").strip(): v for k, v in row.items()} for row in reader]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"{path}: cannot be read: {exc}") from exc
        result = ingest_weather(records=records, first_line=2, all_or_nothing=False)  # line 1 is the header
        errors = result.rejected
        for error in errors[:show_rejected]:
            self.stdout.write(f"  line {error.line}: {error.message}")
        if len(errors) > show_rejected:
            self.stdout.write(f"  … and {len(errors) - show_rejected} more rejected row(s)")
        self.stdout.write(
            f"{path.name}: {len(records)} row(s): {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {len(errors)} rejected"
        )
