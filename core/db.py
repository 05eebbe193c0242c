"""Read replicas: reads that tolerate a little replication lag go to ``DATABASES["replica"]``.

The router sends a read to the replica only inside ``replica_reads()`` and only when a replica is
configured (``DATABASE_REPLICA_URL``); everything else — every write, and every read elsewhere,
including the business hall's pages that must show a payment the moment it is made — stays on the
primary. The staff analytics dashboards (twelve months of sales, collection and arrears aggregated
over every bill) are the reads wrapped today; see docs/scaling.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connections
from django.db.models import Model

REPLICA = "replica"
_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads made inside the block may be answered by the replica (if there is one)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class ReplicaRouter:
    """DATABASE_ROUTERS entry: harmless without a replica (every method defers to the default)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if _replica_reads.get() and REPLICA in connections.databases:
            return REPLICA
        return None

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return bool(db != REPLICA)  # a replica follows the primary's schema by replication
