"""``manage.py verify_audit_log``: check the audit log's hash chain; exit 1 at the first broken link."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from security.services.audit_chain import verify_audit_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and report the first broken link."

    def handle(self, *args, **options) -> None:
        report = verify_audit_chain()
        if not report.intact:
            raise CommandError(
                f"audit chain broken at event {report.broken_at}: {report.reason} "
                f"({report.checked} events before it verified)"
            )
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {report.checked} events verified"))
