"""Retention of the audit log: events older than AUDIT_RETENTION_DAYS (never under 183 days) are
exported to a gzip JSON-lines file in AUDIT_ARCHIVE_DIR, with their hashes, recorded as an
``AuditArchive`` (file SHA-256, where the chain stood), and only then deleted — the database refuses
to delete anything younger than 183 days or not yet archived."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from security.models import AuditArchive, AuditEvent
from security.services.audit import record_event
from security.services.audit_chain import verify_audit_chain

MIN_RETENTION_DAYS = 183


class AuditRetentionError(Exception):
    pass


@dataclass(frozen=True)
class ArchiveResult:
    rows: int
    file: Path | None = None


def _line(event: AuditEvent) -> str:
    return json.dumps(
        {
            "id": event.pk,
            "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat(),
            "actor_id": event.actor_id,
            "actor_label": event.actor_label,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "outcome": event.outcome,
            "source_ip": event.source_ip,
            "details": event.details,
            "prev_hash": event.prev_hash,
            "row_hash": event.row_hash,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def archive_and_prune(*, as_of: dt.datetime) -> ArchiveResult:
    days = settings.AUDIT_RETENTION_DAYS
    if days < MIN_RETENTION_DAYS:
        raise AuditRetentionError(f"AUDIT_RETENTION_DAYS must be at least {MIN_RETENTION_DAYS}, not {days}")
    cutoff = as_of - dt.timedelta(days=days)
    last_id = AuditEvent.objects.filter(occurred_at__lt=cutoff).order_by("-id").values_list("id", flat=True).first()
    if last_id is None:
        return ArchiveResult(rows=0)
    report = verify_audit_chain()
    if not report.intact:
        raise AuditRetentionError(f"audit chain broken at event {report.broken_at}: nothing archived or pruned")
    events = list(AuditEvent.objects.filter(id__lte=last_id).order_by("id"))
    directory = Path(settings.AUDIT_ARCHIVE_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"audit-{events[0].pk:012d}-{events[-1].pk:012d}.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as archive:
        for event in events:
            archive.write(_line(event) + "\n")
    with open(path, "rb") as written:
        os.fsync(written.fileno())
        digest = hashlib.sha256(written.read()).hexdigest()
    with transaction.atomic():
        AuditArchive.objects.create(
            first_id=events[0].pk,
            last_id=events[-1].pk,
            last_hash=events[-1].row_hash,
            rows=len(events),
            file_name=path.name,
            sha256=digest,
        )
        with connection.cursor() as cursor:  # the model refuses deletes; the database checks this one
            cursor.execute("DELETE FROM security_auditevent WHERE id <= %s", [events[-1].pk])
        record_event(
            action=AuditEvent.Action.AUDIT_ARCHIVED,
            object_type="security.auditarchive",
            object_id=path.name,
            details={"first_id": events[0].pk, "last_id": events[-1].pk, "rows": len(events), "sha256": digest},
        )
    return ArchiveResult(rows=len(events), file=path)
