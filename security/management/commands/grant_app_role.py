"""``manage.py grant_app_role``: after ``migrate``, as the owner role, give DATABASE_APP_ROLE its
grants (security.services.db_roles) — never UPDATE/TRUNCATE on the audit log."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from security.services.db_roles import AppRoleMissing, grant_app_role


class Command(BaseCommand):
    help = "Grant the application's non-superuser database role what it needs (and not the audit log)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--role", default=None, help="default: settings.DATABASE_APP_ROLE")

    def handle(self, *args, **options) -> None:
        try:
            statements = grant_app_role(role=options["role"])
        except AppRoleMissing as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{len(statements)} grants applied"))
