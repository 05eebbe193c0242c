"""After ``seed_demo`` on PostgreSQL, no plaintext personal data is anywhere in the database or a dump."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from customers.models import Account, Customer
from tests.module_data import kept_for_module

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(scope="module")
def seeded_plaintexts(django_db_setup, django_db_blocker) -> Iterator[dict[str, set[str]]]:
    yield from kept_for_module(django_db_blocker, _seed_and_collect_plaintexts)


def _seed_and_collect_plaintexts() -> dict[str, set[str]]:
    """Seed, then collect every personal value through the ORM descriptors (i.e. decrypted)."""
    # --curves 0: load curves are numbers only; scanning two million of them would prove nothing more.
    call_command(
        "seed_demo",
        "--customers",
        "200",
        "--seed",
        "42",
        "--as-of",
        "2025-06-01",
        "--curves",
        "0",
        stdout=io.StringIO(),
    )
    values: dict[str, set[str]] = {"id_number": set(), "phone": set(), "email": set(), "address": set()}
    for customer in Customer.objects.all():
        for name in values:
            value = getattr(customer, name)
            if value:
                values[name].add(value)
    for account in Account.objects.all():
        values["address"].add(account.premise_address)
    for user in get_user_model().objects.exclude(phone__isnull=True):
        values["phone"].add(user.phone)
    assert len(values["id_number"]) == 200
    assert len(values["phone"]) == 200
    assert len(values["email"]) > 100
    assert len(values["address"]) >= 200
    return values


def _needles(plaintexts: dict[str, set[str]]) -> set[str]:
    """The values themselves plus the forms they might be stored in (lower-case X, +86 prefix)."""
    needles = set()
    for values in plaintexts.values():
        needles |= values
    needles |= {v.lower() for v in plaintexts["id_number"]}
    needles |= {"+86" + v for v in plaintexts["phone"]}
    return needles


def _all_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
        )
        return [row[0] for row in cursor.fetchall()]


def test_raw_sql_scan_of_every_table_finds_no_plaintext(seeded_plaintexts):
    tables = _all_tables()
    for must_scan in ("customers_customer", "customers_account", "security_user", "security_auditevent"):
        assert must_scan in tables
    assert any(t.startswith("axes_") for t in tables)
    needles = _needles(seeded_plaintexts)
    scanned_rows = 0
    leaks: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT row_to_json(t)::text FROM {connection.ops.quote_name(table)} t")  # noqa: S608
            for (row,) in cursor.fetchall():
                scanned_rows += 1
                leaks.extend((table, needle[:4] + "…") for needle in needles if needle in row)
    assert scanned_rows > 200 * 2
    assert leaks == []


def test_customer_tables_hold_ciphertext_only(seeded_plaintexts):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM customers_customer WHERE id_number NOT LIKE 'v1:%%' OR phone NOT LIKE 'v1:%%' "
            "OR address NOT LIKE 'v1:%%' OR (email IS NOT NULL AND email NOT LIKE 'v1:%%')"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM customers_account WHERE premise_address NOT LIKE 'v1:%%'")
        assert cursor.fetchone()[0] == 0


def test_dumpdata_contains_no_plaintext(seeded_plaintexts):
    out = io.StringIO()
    call_command("dumpdata", "customers", "security", stdout=out)
    dump = out.getvalue()
    assert '"model": "customers.customer"' in dump
    leaks = [needle[:4] + "…" for needle in _needles(seeded_plaintexts) if needle in dump]
    assert leaks == []
