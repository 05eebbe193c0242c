"""core.db.ReplicaRouter: reads go to the replica only inside replica_reads() and only when one is
configured; writes and migrations never do."""

from __future__ import annotations

from django.conf import settings
from django.db import connections

from core.db import REPLICA, ReplicaRouter, replica_reads
from customers.models import Account


def test_the_router_is_installed():
    assert "core.db.ReplicaRouter" in settings.DATABASE_ROUTERS


def test_without_a_replica_every_read_stays_on_the_primary():
    assert REPLICA not in connections.databases
    with replica_reads():
        assert ReplicaRouter().db_for_read(Account) is None


def test_with_a_replica_only_reads_inside_the_block_go_to_it(monkeypatch):
    monkeypatch.setitem(connections.databases, REPLICA, dict(connections.databases["default"]))
    router = ReplicaRouter()
    assert router.db_for_read(Account) is None
    with replica_reads():
        assert router.db_for_read(Account) == REPLICA
        assert router.db_for_write(Account) is None
    assert router.db_for_read(Account) is None
    assert router.allow_migrate(REPLICA, "customers") is False
    assert router.allow_migrate("default", "customers") is True
