"""``manage.py reencrypt_fields``: move encrypted values to the primary key (see docs/security.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from security.services.rotation import RotationError, reencrypt_fields


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field value that is not under the current primary key, batch by batch. "
        "Resumable: a re-run only touches rows still on old keys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")
        parser.add_argument("--dry-run", action="store_true", help="only count the rows on old keys")
        parser.add_argument(
            "--max-batches",
            type=int,
            default=None,
            help="stop after this many batches in total (e.g. to spread the work); run again to resume",
        )

    def handle(self, *args, **options) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")

        def on_batch(label: str, rows: int) -> None:
            if options["verbosity"] > 0:
                self.stdout.write(f"  {label}: {rows} rows re-encrypted")

        try:
            report = reencrypt_fields(
                batch_size=options["batch_size"],
                dry_run=options["dry_run"],
                max_batches=options["max_batches"],
                on_batch=on_batch,
            )
        except RotationError as exc:
            raise CommandError(f"{exc} (batches committed before this one stay re-encrypted)") from exc
        mode = "dry run: nothing written" if report.dry_run else "re-encrypted"
        self.stdout.write(f"Primary key: {report.primary_key_id} ({mode})")
        width = max((len(m.label) for m in report.models), default=5)
        self.stdout.write(f"  {'model':<{width}}  re-encrypted  still on old keys")
        for m in report.models:
            self.stdout.write(f"  {m.label:<{width}}  {m.reencrypted_rows:>12}  {m.remaining_rows:>17}")
        self.stdout.write(f"  {'total':<{width}}  {report.reencrypted_rows:>12}  {report.remaining_rows:>17}")
        if report.dry_run:
            return
        if report.remaining_rows and report.stopped_early:
            self.stdout.write(self.style.WARNING("Stopped after --max-batches; run again to continue."))
        elif report.remaining_rows:
            self.stdout.write(
                self.style.WARNING(
                    "Some rows were locked by other transactions and skipped; run again to finish "
                    "before retiring the old key."
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"All encrypted values are under {report.primary_key_id}; old keys can be retired.")
            )
