"""Rows built once for a whole test module and rolled back after it.

A plain ``seed_demo`` takes up to a minute; seeding it again for every test of a module that only reads
it cost CI minutes. The module's data is written inside one outer transaction; pytest-django's ``db``
fixture then runs each test in a savepoint nested in it (its TestCase skips the class set-up that would
close connections, for exactly this use), so what a test writes is still undone before the next, and
the module's rows are rolled back when the module ends.

Only for modules whose tests use the plain ``db`` fixture: a transactional test (``transactional_db``,
``live_server``) flushes the tables and would wipe the shared rows. Tests in such a module that need an
empty database of their own belong in another module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import transaction

T = TypeVar("T")


def kept_for_module(django_db_blocker, build: Callable[[], T]) -> Iterator[T]:
    """Generator for a module-scoped fixture: ``yield from kept_for_module(django_db_blocker, seed)``."""
    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
        try:
            value = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield value
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
