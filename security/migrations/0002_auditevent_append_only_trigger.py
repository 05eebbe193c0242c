"""On PostgreSQL, refuse UPDATE and DELETE of audit events in the database itself."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION security_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'security_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER security_auditevent_no_change
    BEFORE UPDATE OR DELETE ON security_auditevent
    FOR EACH ROW EXECUTE FUNCTION security_auditevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS security_auditevent_no_change ON security_auditevent;
DROP FUNCTION IF EXISTS security_auditevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("security", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
