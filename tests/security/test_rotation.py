"""Key rotation step 3: ``reencrypt_fields`` moves rows from old keys to the primary key."""

from __future__ import annotations

import io
import threading

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.test import override_settings

from customers.models import Account, Customer
from security import crypto
from security.services.rotation import (
    RotationError,
    encrypted_models,
    reencrypt_fields,
    rows_on_old_keys,
)
from tests.factories import make_account, make_customer, make_portal_user

ONLY_K1 = settings.FIELD_ENCRYPTION_KEYS.split(",")[0]
CUSTOMER_FIELDS = ("id_number", "phone", "email", "address")


def _raw_row(model, pk: int, columns: tuple[str, ...]) -> dict[str, str | None]:
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {cols} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return dict(zip(columns, cursor.fetchone(), strict=True))


def _key_ids(model, pk: int, columns: tuple[str, ...]) -> set[str]:
    return {crypto.key_id_of(v) for v in _raw_row(model, pk, columns).values() if v is not None}


def _snapshot(customers: list[Customer]) -> dict[int, tuple]:
    """Plaintexts and blind indexes as read back from the database."""
    result = {}
    for c in Customer.objects.filter(pk__in=[c.pk for c in customers]):
        result[c.pk] = (c.id_number, c.phone, c.email, c.address, c.id_number_bidx, c.phone_bidx, c.email_bidx)
    return result


@pytest.fixture
def old_rows():
    """Customers, accounts and a portal user written while k0 was the primary key."""
    with override_settings(FIELD_ENCRYPTION_PRIMARY_KEY_ID="k0"):
        customers = [make_customer(phone=f"1390000{n:04d}") for n in range(7)]
        customers.append(make_customer(email=None))  # a NULL column must be left alone
        accounts = [make_account(customer=c) for c in customers[:3]]
        user = make_portal_user(phone="13712345678")
    assert all(_key_ids(Customer, c.pk, CUSTOMER_FIELDS) == {"k0"} for c in customers)
    return {"customers": customers, "accounts": accounts, "user": user}


def test_discovers_every_model_with_an_encrypted_field():
    labels = {m.label: {f.name for f in m.fields} for m in encrypted_models()}
    assert labels["customers.customer"] == set(CUSTOMER_FIELDS)
    assert labels["customers.account"] == {"premise_address"}
    assert labels["security.user"] == {"phone"}


@pytest.mark.django_db
def test_moves_every_row_to_the_primary_key_and_keeps_plaintext_and_blind_indexes(old_rows):
    customers = old_rows["customers"]
    before = _snapshot(customers)
    updated_at_before = {c.pk: c.updated_at for c in Customer.objects.all()}
    fresh = make_customer()  # already on k1: must not be touched
    fresh_raw = _raw_row(Customer, fresh.pk, CUSTOMER_FIELDS)

    report = reencrypt_fields(batch_size=3)

    assert report.primary_key_id == "k1"
    by_label = {m.label: m for m in report.models}
    assert by_label["customers.customer"].reencrypted_rows == len(customers)
    assert by_label["customers.account"].reencrypted_rows == 3
    assert by_label["security.user"].reencrypted_rows == 1
    assert report.remaining_rows == 0 and not report.stopped_early
    for c in customers:
        assert _key_ids(Customer, c.pk, CUSTOMER_FIELDS) == {"k1"}
    assert _raw_row(Customer, customers[-1].pk, ("email",))["email"] is None
    for a in old_rows["accounts"]:
        assert _key_ids(Account, a.pk, ("premise_address",)) == {"k1"}
    assert _key_ids(get_user_model(), old_rows["user"].pk, ("phone",)) == {"k1"}
    assert _snapshot(customers) == before
    assert {c.pk: c.updated_at for c in Customer.objects.exclude(pk=fresh.pk)} == updated_at_before
    assert _raw_row(Customer, fresh.pk, CUSTOMER_FIELDS) == fresh_raw

    # k0 can now be retired: everything still reads, and search still works.
    with override_settings(FIELD_ENCRYPTION_KEYS=ONLY_K1):
        assert _snapshot(customers) == before
        assert list(Customer.objects.by_phone("+86 139-0000-0003")) == [customers[3]]
        assert get_user_model().objects.matching("phone", "13712345678").get() == old_rows["user"]


@pytest.mark.django_db
def test_rerun_touches_no_rows(old_rows):
    reencrypt_fields(batch_size=500)
    raw_before = {c.pk: _raw_row(Customer, c.pk, CUSTOMER_FIELDS) for c in old_rows["customers"]}
    report = reencrypt_fields(batch_size=500)
    assert report.reencrypted_rows == 0
    assert report.remaining_rows == 0
    assert {c.pk: _raw_row(Customer, c.pk, CUSTOMER_FIELDS) for c in old_rows["customers"]} == raw_before


@pytest.mark.django_db
def test_interrupted_run_resumes_in_primary_key_order(old_rows):
    customers = old_rows["customers"]
    before = _snapshot(customers)
    first = reencrypt_fields(batch_size=2, max_batches=1)
    assert first.stopped_early
    # Models run in label order: customers.account comes first, its two lowest pks are done.
    moved = [m for m in first.models if m.reencrypted_rows]
    assert [(m.label, m.reencrypted_rows) for m in moved] == [("customers.account", 2)]
    accounts = sorted(old_rows["accounts"], key=lambda a: a.pk)
    assert [_key_ids(Account, a.pk, ("premise_address",)) for a in accounts] == [{"k1"}, {"k1"}, {"k0"}]
    assert first.remaining_rows == 1 + len(customers) + 1

    second = reencrypt_fields(batch_size=2, max_batches=2)
    assert second.stopped_early
    assert second.reencrypted_rows == 3  # the last account, then two customers

    final = reencrypt_fields(batch_size=2)
    assert not final.stopped_early
    assert final.reencrypted_rows == len(customers) - 2 + 1
    assert final.remaining_rows == 0
    assert all(_key_ids(Customer, c.pk, CUSTOMER_FIELDS) == {"k1"} for c in customers)
    assert _snapshot(customers) == before


@pytest.mark.django_db
def test_dry_run_counts_and_writes_nothing(old_rows):
    raw_before = {c.pk: _raw_row(Customer, c.pk, CUSTOMER_FIELDS) for c in old_rows["customers"]}
    report = reencrypt_fields(dry_run=True)
    counts = {m.label: m.remaining_rows for m in report.models}
    assert counts["customers.customer"] == len(old_rows["customers"])
    assert counts["customers.account"] == 3
    assert counts["security.user"] == 1
    assert report.reencrypted_rows == 0
    assert {c.pk: _raw_row(Customer, c.pk, CUSTOMER_FIELDS) for c in old_rows["customers"]} == raw_before


@pytest.mark.django_db
def test_row_with_only_some_columns_on_an_old_key_is_found_and_fixed():
    customer = make_customer()
    with override_settings(FIELD_ENCRYPTION_PRIMARY_KEY_ID="k0"):
        loaded = Customer.objects.get(pk=customer.pk)
        loaded.address = "浙江省杭州市滨江区江南大道1号"
        loaded.save(update_fields=["address"])
    target = next(m for m in encrypted_models() if m.label == "customers.customer")
    assert list(rows_on_old_keys(target=target, primary_key_id="k1")) == [customer]
    reencrypt_fields()
    assert _key_ids(Customer, customer.pk, CUSTOMER_FIELDS) == {"k1"}
    assert Customer.objects.get(pk=customer.pk).address == "浙江省杭州市滨江区江南大道1号"


@pytest.mark.django_db
def test_missing_old_key_fails_closed_and_rolls_back_the_batch(old_rows):
    raw_before = {c.pk: _raw_row(Customer, c.pk, CUSTOMER_FIELDS) for c in old_rows["customers"]}
    with override_settings(FIELD_ENCRYPTION_KEYS=ONLY_K1), pytest.raises(RotationError, match="cannot be decrypted"):
        reencrypt_fields(batch_size=100)
    assert {c.pk: _raw_row(Customer, c.pk, CUSTOMER_FIELDS) for c in old_rows["customers"]} == raw_before


@pytest.mark.django_db
def test_changed_blind_index_key_stops_rotation_instead_of_corrupting_search(old_rows):
    other_blind_key = crypto.generate_key()
    with override_settings(BLIND_INDEX_KEY=other_blind_key), pytest.raises(RotationError, match="blind index"):
        reencrypt_fields()
    assert all(_key_ids(Customer, c.pk, CUSTOMER_FIELDS) == {"k0"} for c in old_rows["customers"])


@pytest.mark.django_db
def test_command_reports_counts_and_resumes(old_rows):
    out = io.StringIO()
    call_command("reencrypt_fields", "--dry-run", stdout=out)
    assert "dry run" in out.getvalue()
    assert all(_key_ids(Customer, c.pk, CUSTOMER_FIELDS) == {"k0"} for c in old_rows["customers"])

    out = io.StringIO()
    call_command("reencrypt_fields", "--batch-size", "2", "--max-batches", "1", stdout=out)
    assert "run again" in out.getvalue()

    out = io.StringIO()
    call_command("reencrypt_fields", "--batch-size", "500", stdout=out)
    text = out.getvalue()
    assert "customers.customer" in text and "old keys can be retired" in text
    assert all(_key_ids(Customer, c.pk, CUSTOMER_FIELDS) == {"k1"} for c in old_rows["customers"])
    for secret in (old_rows["customers"][0].phone, old_rows["customers"][0].id_number):
        assert secret not in text

    with pytest.raises(CommandError):
        call_command("reencrypt_fields", "--batch-size", "0")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rows_locked_by_another_transaction_are_skipped_then_picked_up():
    with override_settings(FIELD_ENCRYPTION_PRIMARY_KEY_ID="k0"):
        customers = [make_customer() for _ in range(4)]
    locked_pk = customers[1].pk
    locked, release, done = threading.Event(), threading.Event(), threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                Customer.objects.select_for_update().filter(pk=locked_pk).get()
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()
            done.set()

    worker = threading.Thread(target=hold_lock)
    worker.start()
    try:
        assert locked.wait(timeout=10)
        report = reencrypt_fields(batch_size=2)
        customer_report = next(m for m in report.models if m.label == "customers.customer")
        assert customer_report.reencrypted_rows == 3
        assert customer_report.remaining_rows == 1
        assert _key_ids(Customer, locked_pk, CUSTOMER_FIELDS) == {"k0"}
    finally:
        release.set()
        worker.join(timeout=30)
    assert done.is_set()
    assert reencrypt_fields().reencrypted_rows == 1
    assert all(_key_ids(Customer, c.pk, CUSTOMER_FIELDS) == {"k1"} for c in customers)


@pytest.mark.django_db
def test_value_without_an_encryption_header_stops_rotation_with_a_clear_error():
    customer = make_customer()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE customers_customer SET address = %s WHERE id = %s", ["not encrypted", customer.pk])
    with pytest.raises(RotationError, match=rf"customers.customer pk={customer.pk} field address"):
        reencrypt_fields()
    with pytest.raises(CommandError, match="field address"):
        call_command("reencrypt_fields", stdout=io.StringIO())
