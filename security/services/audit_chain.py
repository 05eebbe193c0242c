"""Verifying the audit log's hash chain (security.chain) from the first kept event to the last."""

from __future__ import annotations

from dataclasses import dataclass

from security.chain import GENESIS, link_hash
from security.models import AuditArchive, AuditEvent


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None  # id of the first event whose link does not hold
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_audit_chain(*, batch_size: int = 2000) -> ChainReport:
    """Walk every event in id order; the first must link to the genesis or to the last archived
    event, each next one to the one before, and each must hash (under AUDIT_CHAIN_KEY) to its row_hash.
    Reports the first broken link: a changed row, a forged one, or one removed before it."""
    anchors = {GENESIS} | set(AuditArchive.objects.values_list("last_hash", flat=True))
    expected: str | None = None
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return ChainReport(checked=checked)
        for event in batch:
            if expected is None:
                if event.prev_hash not in anchors:
                    return ChainReport(checked, event.pk, "the first kept event links to no archive or the genesis")
            elif event.prev_hash != expected:
                return ChainReport(
                    checked, event.pk, "does not link to the event before it (one was removed or inserted)"
                )
            if link_hash(event=event) != event.row_hash:
                return ChainReport(checked, event.pk, "its content does not match its hash (changed or forged)")
            expected = event.row_hash
            checked += 1
            last_id = event.pk
