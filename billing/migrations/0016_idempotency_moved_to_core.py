"""Idempotency records moved to the kernel (core.IdempotencyRecord): copy the live ones over, so a
client retrying across the upgrade still gets its first answer, then drop billing's table."""

from django.db import migrations

FIELDS = ("id", "user_id", "key", "request_hash", "completed", "response_status", "response_body", "created_at")


def copy_records(apps, schema_editor):
    Old = apps.get_model("billing", "IdempotencyRecord")
    New = apps.get_model("core", "IdempotencyRecord")
    # core 0002 (sealed responses) may already have run: copy the fields core's table still has.
    kept = {field.attname for field in New._meta.concrete_fields}
    fields = [name for name in FIELDS if name in kept]
    New.objects.bulk_create(New(**row) for row in Old.objects.values(*fields).iterator())


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0015_payment_is_sandbox"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_records, migrations.RunPython.noop),
        migrations.DeleteModel(name="IdempotencyRecord"),
    ]
