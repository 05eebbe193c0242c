"""Finding 4: the audit log is tamper-evident and append-only.

* a hash chain keyed with AUDIT_CHAIN_KEY; ``manage.py verify_audit_log`` names the first broken link
  after a change, a removal or a forged insert made behind the application's back;
* PostgreSQL refuses UPDATE and young DELETEs by trigger, and the application role (non-superuser)
  cannot update, truncate or disable the trigger;
* retention: events past AUDIT_RETENTION_DAYS are exported (file + AuditArchive) before pruning, and
  the chain still verifies from the archive;
* bill status changes, payments and ledger postings are logged; times are stored UTC and shown in the
  viewer's zone, named."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import importlib
import itertools
import json

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from core.time import local_time_named
from security.checks import check_field_encryption_keys
from security.models import AuditArchive, AuditEvent
from security.models.audit import AppendOnlyError
from security.services.audit import record_event
from security.services.audit_chain import verify_audit_chain
from security.services.audit_retention import AuditRetentionError, archive_and_prune
from security.tasks import archive_audit_events_task
from tests.billing.test_payments import bank, issued_bill  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
postgres = pytest.mark.postgres


def _events(n: int, **extra) -> list[AuditEvent]:
    return [record_event(action=AuditEvent.Action.LOGIN, object_id=str(i), details={"n": i}, **extra) for i in range(n)]


def _behind_the_apps_back(sql: str, params=()) -> None:
    """What a database superuser (or someone with the dump) could do: with the trigger off."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks block the ALTER
        cursor.execute("ALTER TABLE security_auditevent DISABLE TRIGGER security_auditevent_no_change")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE security_auditevent ENABLE TRIGGER security_auditevent_no_change")


def test_each_event_links_to_the_one_before_and_the_chain_verifies(capsys):
    events = _events(4)
    assert events[0].prev_hash == "0" * 64
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.row_hash and len(after.row_hash) == 64
    assert verify_audit_chain().intact and verify_audit_chain().checked == 4
    call_command("verify_audit_log")
    assert "audit chain intact: 4 events verified" in capsys.readouterr().out


def test_the_chain_is_keyed_with_the_audit_chain_key():
    _events(2)
    other = base64.b64encode(bytes(range(1, 33))).decode()
    with override_settings(AUDIT_CHAIN_KEY=other):
        report = verify_audit_chain()
    assert report.broken_at == AuditEvent.objects.order_by("id").first().pk  # without the key, nothing verifies


def test_bulk_inserts_are_refused_at_the_model():
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_create([AuditEvent(action=AuditEvent.Action.LOGIN)])


@postgres
def test_a_changed_row_is_the_first_broken_link():
    events = _events(5)
    _behind_the_apps_back(
        "UPDATE security_auditevent SET details = %s WHERE id = %s", [json.dumps({"n": 99}), events[2].pk]
    )
    assert verify_audit_chain().broken_at == events[2].pk
    with pytest.raises(CommandError, match=f"broken at event {events[2].pk}: its content"):
        call_command("verify_audit_log")


@postgres
def test_a_removed_row_breaks_the_link_of_the_next():
    events = _events(5)
    _behind_the_apps_back("DELETE FROM security_auditevent WHERE id = %s", [events[1].pk])
    report = verify_audit_chain()
    assert report.broken_at == events[2].pk and "removed or inserted" in report.reason


@postgres
def test_a_forged_insert_cannot_carry_a_valid_hash():
    events = _events(2)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO security_auditevent (occurred_at, actor_label, action, object_type, object_id, outcome,"
            " details, prev_hash, row_hash) VALUES (now(), 'admin', 'login', '', '', 'success', '{}', %s, %s)"
            " RETURNING id",
            [events[-1].row_hash, "f" * 64],
        )
        forged = cursor.fetchone()[0]
    assert verify_audit_chain().broken_at == forged


@postgres
def test_the_database_refuses_update_and_young_deletes_whoever_asks():
    (event,) = _events(1)
    for sql in (
        "UPDATE security_auditevent SET action = 'logout' WHERE id = %s",
        "DELETE FROM security_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])


@postgres
def test_the_application_role_cannot_update_truncate_or_disable_the_trigger(settings):
    role = "mp_test_app_role"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {role} NOSUPERUSER NOLOGIN")
        # What docker-compose's init script grants the app role, then what migration security 0004 revokes.
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    settings.DATABASE_APP_ROLE = role
    migration = importlib.import_module("security.migrations.0004_audit_hash_chain")
    with connection.schema_editor(atomic=False) as editor:
        migration.database_rules(None, editor)
    (event,) = _events(1)
    attempts = {
        "update": ("UPDATE security_auditevent SET action = 'logout' WHERE id = %s", [event.pk]),
        "truncate": ("TRUNCATE security_auditevent", []),
        "disable trigger": ("ALTER TABLE security_auditevent DISABLE TRIGGER security_auditevent_no_change", []),
        "young delete": ("DELETE FROM security_auditevent WHERE id = %s", [event.pk]),
        "archive forged": ("UPDATE security_auditarchive SET last_id = 0", []),
    }
    refused = {}
    for name, (sql, params) in attempts.items():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL ROLE {role}")
                cursor.execute(sql, params)
        except DatabaseError as exc:
            refused[name] = str(exc).splitlines()[0]
    assert set(refused) == set(attempts), refused
    assert "permission denied" in refused["update"] and "permission denied" in refused["truncate"]
    assert "must be owner" in refused["disable trigger"] and "append-only" in refused["young delete"]
    # The role can still append (the application's normal work), and that event chains.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        record_event(action=AuditEvent.Action.LOGOUT)
    assert verify_audit_chain().intact


# --- retention -----------------------------------------------------------------------------------------


@postgres
def test_old_events_are_archived_before_they_are_pruned_and_the_chain_still_verifies(settings, tmp_path):
    settings.AUDIT_RETENTION_DAYS = 190
    settings.AUDIT_ARCHIVE_DIR = tmp_path
    now = timezone.now()
    old = [
        AuditEvent(action=AuditEvent.Action.LOGIN, object_id=str(i), occurred_at=now - dt.timedelta(days=200 - i))
        for i in range(3)
    ]
    for event in old:
        event.save()
    kept = _events(2)
    assert archive_audit_events_task() == 3
    archive = AuditArchive.objects.get()
    assert (archive.first_id, archive.last_id, archive.rows, archive.last_hash) == (
        old[0].pk,
        old[-1].pk,
        3,
        old[-1].row_hash,
    )
    lines = [json.loads(line) for line in gzip.open(tmp_path / archive.file_name, "rt", encoding="utf-8")]
    assert [line["id"] for line in lines] == [e.pk for e in old] and lines[-1]["row_hash"] == old[-1].row_hash
    remaining = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    assert remaining[:2] == [e.pk for e in kept]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.AUDIT_ARCHIVED).count() == 1
    report = verify_audit_chain()
    assert report.intact and report.checked == 3  # two kept + the archive event, anchored on the archive


def test_retention_under_six_months_is_refused(settings):
    settings.AUDIT_RETENTION_DAYS = 90
    with pytest.raises(AuditRetentionError, match="at least 183"):
        archive_and_prune(as_of=timezone.now())


def test_the_archive_task_runs_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["security.archive_audit_events"]
    assert entry["task"] == "security.archive_audit_events"


# --- what is logged, and how it is shown ---------------------------------------------------------------


def test_payment_bill_status_and_posting_are_logged(bank, issued_bill):  # noqa: F811
    body = {"account_number": issued_bill.account.number, "amount": "161.40", "channel": "bank", "reference": "ICBC-7"}
    assert bank.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY="audit-1").status_code == 201
    actions = {e.action: e for e in AuditEvent.objects.filter(actor=bank.user)}
    assert {"payment", "ledger_posting", "bill_status"} <= set(actions)
    assert actions["bill_status"].details == {"from": "issued", "to": "paid", "account_id": issued_bill.account_id}
    assert (
        actions["ledger_posting"].details["kind"] == "payment"
        and actions["ledger_posting"].details["amount"] == "-161.40"
    )
    assert verify_audit_chain().intact


def test_times_are_stored_utc_and_shown_in_the_viewers_zone_named():
    moment = dt.datetime(2026, 12, 7, 15, 50, 1, tzinfo=dt.UTC)
    assert local_time_named(moment) == "2026-12-07 23:50:01 Asia/Shanghai (UTC+08:00)"
    with timezone.override("Europe/Berlin"):
        assert local_time_named(moment) == "2026-12-07 16:50:01 Europe/Berlin (UTC+01:00)"


def test_the_audit_admin_shows_the_local_time_with_its_zone(client):
    from security import roles
    from tests.factories import make_staff

    record_event(action=AuditEvent.Action.LOGIN)
    client.force_login(make_staff(role=roles.SECURITY_AUDITOR))
    page = client.get("/admin/security/auditevent/").content.decode()
    assert "Asia/Shanghai (UTC+08:00)" in page


@pytest.mark.parametrize("value", ["not base64!!", base64.b64encode(bytes(16)).decode()])
def test_unusable_audit_chain_key_is_an_error(value):
    with override_settings(AUDIT_CHAIN_KEY=value):
        assert "security.E005" in {e.id for e in check_field_encryption_keys()}


def test_audit_chain_key_reusing_the_blind_index_key_is_an_error():
    with override_settings(AUDIT_CHAIN_KEY=settings.BLIND_INDEX_KEY):
        assert "security.E005" in {e.id for e in check_field_encryption_keys()}


def test_missing_audit_chain_key_warns_and_production_requires_it():
    with override_settings(AUDIT_CHAIN_KEY=""):
        assert [e.id for e in check_field_encryption_keys()] == ["security.W005"]
    source = (settings.BASE_DIR / "marketing_portal" / "settings" / "production.py").read_text()
    assert '"AUDIT_CHAIN_KEY"' in source


@postgres
def test_grant_app_role_gives_the_role_its_work_but_not_the_audit_log(settings):
    from security.services.db_roles import AppRoleMissing, grant_app_role

    role = "mp_test_grant_role"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {role} NOSUPERUSER NOLOGIN")
    call_command("grant_app_role", role=role)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(%s, 'security_auditevent', 'INSERT'),"
            " has_table_privilege(%s, 'security_auditevent', 'UPDATE'),"
            " has_table_privilege(%s, 'security_auditevent', 'TRUNCATE'),"
            " has_table_privilege(%s, 'customers_customer', 'UPDATE'),"
            " (SELECT tableowner FROM pg_tables WHERE tablename = 'billing_intervalreading')",
            [role] * 4,
        )
        assert cursor.fetchone() == (True, False, False, True, role)
    with pytest.raises(AppRoleMissing, match="superuser"):
        grant_app_role(role="postgres")
