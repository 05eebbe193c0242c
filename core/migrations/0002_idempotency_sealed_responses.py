"""Idempotency records keep no response body in clear: status, resource reference, body hash and the
body sealed under the field-encryption keys (core.idempotency). Bodies stored before are reduced to
their hash and reference (a replay of such a record answers the status and the reference)."""

import hashlib
import json

from django.db import migrations, models


def _reduce_stored_bodies(apps, schema_editor):
    Record = apps.get_model("core", "IdempotencyRecord")
    for record in Record.objects.exclude(response_body=None).iterator():
        body = record.response_body
        canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
        record.response_hash = hashlib.sha256(canonical.encode()).hexdigest()
        for name in ("public_id", "number", "id", "order_no", "reference"):
            if isinstance(body, dict) and body.get(name) not in (None, ""):
                record.resource_ref = str(body[name])[:200]
                break
        record.save(update_fields=["response_hash", "resource_ref"])


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord",
            name="resource_ref",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="response_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="response_sealed",
            field=models.TextField(blank=True, null=True),
        ),
        migrations.RunPython(_reduce_stored_bodies, migrations.RunPython.noop),
        migrations.RemoveField(model_name="idempotencyrecord", name="response_body"),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, db_index=True),
        ),
    ]
