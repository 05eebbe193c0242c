"""The audit log becomes tamper-evident and append-only in the database:

* every event carries ``prev_hash`` and ``row_hash`` (security.chain: HMAC-SHA256 under AUDIT_CHAIN_KEY);
  the events already there are chained in id order;
* ``occurred_at`` is set by the model (UTC in the database) so the hash covers the stored value;
* ``AuditArchive`` records each export made before pruning;
* on PostgreSQL the trigger refuses every UPDATE, and a DELETE unless the row is older than 183 days
  *and* inside an archive already written (retention ≥ 6 months, whatever the application asks);
* the application role (DATABASE_APP_ROLE, when it exists: docker-compose creates it) loses UPDATE,
  TRUNCATE, TRIGGER and REFERENCES on the table: it owns nothing, so it can neither change rows,
  empty the table (TRUNCATE fires no row trigger; the owner's test flushes still may) nor disable
  the trigger.
"""

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

TRIGGERS = """
CREATE OR REPLACE FUNCTION security_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND OLD.occurred_at < now() - interval '183 days'
       AND OLD.id <= (SELECT COALESCE(MAX(last_id), 0) FROM security_auditarchive) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'security_auditevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS security_auditevent_no_change ON security_auditevent;
CREATE TRIGGER security_auditevent_no_change
    BEFORE UPDATE OR DELETE ON security_auditevent
    FOR EACH ROW EXECUTE FUNCTION security_auditevent_append_only();
"""
REVOKE = (
    "REVOKE UPDATE, TRUNCATE, TRIGGER, REFERENCES ON security_auditevent FROM {role}",
    "REVOKE UPDATE, DELETE, TRUNCATE ON security_auditarchive FROM {role}",
)


def chain_existing_events(apps, schema_editor):
    from security.chain import GENESIS, link_hash

    Event = apps.get_model("security", "AuditEvent")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("ALTER TABLE security_auditevent DISABLE TRIGGER security_auditevent_no_change")
    previous = GENESIS
    for event in Event.objects.order_by("id").iterator():
        event.prev_hash = previous
        event.row_hash = link_hash(event=event)
        Event.objects.filter(pk=event.pk).update(prev_hash=event.prev_hash, row_hash=event.row_hash)
        previous = event.row_hash
    if postgres:
        schema_editor.execute("ALTER TABLE security_auditevent ENABLE TRIGGER security_auditevent_no_change")


def database_rules(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(TRIGGERS, params=None)  # the function's own % placeholders are not ours
    role = settings.DATABASE_APP_ROLE
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            return
    for statement in REVOKE:
        schema_editor.execute(statement.format(role=schema_editor.quote_name(role)))


class Migration(migrations.Migration):
    dependencies = [("security", "0003_privilege_requests")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="occurred_at",
            field=models.DateTimeField(db_index=True, default=timezone.now),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="0" * 64, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="row_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.CreateModel(
            name="AuditArchive",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("first_id", models.BigIntegerField()),
                ("last_id", models.BigIntegerField(unique=True)),
                ("last_hash", models.CharField(max_length=64)),
                ("rows", models.PositiveIntegerField()),
                ("file_name", models.CharField(max_length=200)),
                ("sha256", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "audit archive",
                "verbose_name_plural": "audit archives",
                "ordering": ["-last_id"],
            },
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("login", "Login"),
                    ("login_failed", "Failed login"),
                    ("logout", "Logout"),
                    ("pii_reveal", "Personal data revealed"),
                    ("create", "Created"),
                    ("update", "Changed"),
                    ("delete", "Deleted"),
                    ("bind", "Account bound"),
                    ("unbind", "Account unbound"),
                    ("bind_failed", "Account binding refused"),
                    ("privilege_change", "Roles, permissions or status changed"),
                    ("privilege_request", "Privileged grant requested"),
                    ("privilege_approve", "Privileged grant approved"),
                    ("privilege_reject", "Privileged grant rejected"),
                    ("bill_status", "Bill status changed"),
                    ("payment", "Payment"),
                    ("ledger_posting", "Ledger posting (payment, reversal, adjustment, credit)"),
                    ("audit_archived", "Audit events archived and pruned"),
                ],
                db_index=True,
                max_length=32,
            ),
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop),
        migrations.RunPython(database_rules, migrations.RunPython.noop),
    ]
