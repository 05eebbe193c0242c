"""``manage.py ingest_readings PATH [PATH …]``: ingest meter-data files in this process, with a
progress bar and a summary table. Exit status is non-zero only when a file could not be read at all;
rejected rows are reported, not fatal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count
from django.utils import timezone
from tqdm import tqdm

from billing.models import IngestBatch
from billing.services.ingest import BatchInputError, create_batch, process_batch
from core import clock

SUMMARY_COLUMNS = (
    "file",
    "layout",
    "status",
    "received",
    "inserted",
    "updated",
    "unchanged",
    "duplicates",
    "rejected",
    "estimated",
    "seconds",
    "rows/s",
)


def _estimated_rows(path: Path) -> int | None:
    """Rows in a CSV from its size and the average length of its first lines (for the progress bar)."""
    try:
        with path.open("rb") as handle:
            sample = handle.read(1 << 16)
    except OSError:
        return None
    lines = sample.count(b"\n")
    if not lines or path.suffix.lower() in {".xlsx", ".json"}:
        return None
    return int(path.stat().st_size / (len(sample) / lines))


class Command(BaseCommand):
    help = "Ingest meter-data files (long/wide interval CSV, register CSV, JSON, .xlsx) and print a summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument(
            "--as-of",
            type=dt.datetime.fromisoformat,
            default=None,
            help="readings after this are 'future' (default: now)",
        )
        parser.add_argument(
            "--chunk-rows", type=int, default=None, help="readings per committed chunk (default INGEST_CHUNK_ROWS)"
        )
        parser.add_argument("--show-rejected", type=int, default=10, help="rejected rows to list per file (default 10)")

    def handle(self, *args, **options) -> None:
        from django.conf import settings

        as_of = options["as_of"] or clock.now()
        if timezone.is_naive(as_of):
            as_of = timezone.make_aware(as_of)
        chunk_rows = options["chunk_rows"] or settings.INGEST_CHUNK_ROWS
        summaries, unreadable = [], []
        for path in options["paths"]:
            try:
                batch = create_batch(
                    source=IngestBatch.Source.COMMAND,
                    path=path,
                    filename=path.name,
                    as_of=as_of,
                    copy_into_storage=False,
                )
            except (BatchInputError, OSError) as exc:
                unreadable.append(path)
                self.stderr.write(self.style.ERROR(f"{path}: cannot be read: {exc}"))
                continue
            batch = self._process(batch=batch, path=path, chunk_rows=chunk_rows, verbosity=options["verbosity"])
            summaries.append((path, batch))
            self._print_rejected(batch=batch, limit=options["show_rejected"])
        self._print_summary(summaries)
        if unreadable:
            raise CommandError(f"{len(unreadable)} file(s) could not be read: {', '.join(map(str, unreadable))}")

    def _process(self, *, batch: IngestBatch, path: Path, chunk_rows: int, verbosity: int) -> IngestBatch:
        progress = tqdm(
            total=_estimated_rows(path),
            unit="rows",
            unit_scale=True,
            desc=path.name,
            disable=verbosity == 0,
            file=self.stderr,
        )
        try:
            return process_batch(
                batch_id=batch.pk, chunk_rows=chunk_rows, on_chunk=lambda chunk: progress.update(chunk.received)
            )
        finally:
            progress.close()

    def _print_rejected(self, *, batch: IngestBatch, limit: int) -> None:
        if batch.status == IngestBatch.Status.FAILED:
            self.stderr.write(self.style.ERROR(f"{batch.filename}: failed: {batch.error}"))
            return
        if not batch.rejected or not limit:
            return
        reasons = batch.rejected_rows.values("reason_code").annotate(n=Count("id")).order_by("-n")
        self.stdout.write(
            f"{batch.filename}: rejected rows by reason: " + ", ".join(f"{r['reason_code']} {r['n']}" for r in reasons)
        )
        for row in batch.rejected_rows.order_by("line_number", "id")[:limit]:
            self.stdout.write(f"  line {row.line_number}: {row.reason_code}: {row.message}")
        self.stdout.write(
            f"  (batch #{batch.pk}: every rejected row is listed in the admin and at /api/v1/meter-data/batches/{batch.pk})"
        )

    def _print_summary(self, summaries: list[tuple[Path, IngestBatch]]) -> None:
        if not summaries:
            return
        rows: list[tuple[str, ...]] = [SUMMARY_COLUMNS]
        for path, b in summaries:
            seconds = b.duration_seconds or 0.0
            rate = f"{b.received / seconds:,.0f}" if seconds else "-"
            rows.append(
                (
                    path.name,
                    b.layout,
                    b.status,
                    *(f"{getattr(b, name):,}" for name in SUMMARY_COLUMNS[3:10]),
                    f"{seconds:.1f}",
                    rate,
                )
            )
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(SUMMARY_COLUMNS))]
        self.stdout.write("")
        for index, row in enumerate(rows):
            cells = [
                str(cell).ljust(width) if i < 3 else str(cell).rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ]
            self.stdout.write("  ".join(cells))
            if index == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
