"""Field-level encryption (security.crypto, security.fields): round trips, tampering, binding to row
and field, key rotation and retirement, blind-index search, refused lookups, no plaintext in dumps."""

from __future__ import annotations

import base64
import io

import pytest
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F, Q
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from customers.models import Account, Customer
from security import crypto
from security.fields import EncryptedLookupError
from tests.factories import make_account, make_customer, make_id_number

ONLY_K1 = settings.FIELD_ENCRYPTION_KEYS.split(",")[0]
assert ONLY_K1.startswith("k1:")
PII_FIELDS = ("id_number", "phone", "email", "address")


def _raw(model, pk: int, column: str) -> str | None:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def _write_raw(model, pk: int, column: str, value: str | None) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {connection.ops.quote_name(column)} = %s WHERE id = %s", [value, pk])  # noqa: S608


def _fresh(customer: Customer) -> Customer:
    return Customer.objects.get(pk=customer.pk)


def _x_id_number() -> str:
    """An ID number whose check character is X."""
    for serial in range(1000):
        number = make_id_number(region="330106", birth="19790815", serial=serial)
        if number.endswith("X"):
            return number
    raise AssertionError("no serial gives check character X")


# --- crypto primitives -----------------------------------------------------------------------------


@given(plaintext=st.text(), binding=st.text())
def test_round_trip_of_arbitrary_unicode(plaintext, binding):
    stored = crypto.encrypt(plaintext=plaintext, binding=binding)
    assert stored.startswith("v1:k1:")
    assert crypto.decrypt(stored=stored, binding=binding) == plaintext


@given(plaintext=st.text(min_size=1), binding=st.text(), other=st.text())
def test_wrong_binding_never_decrypts(plaintext, binding, other):
    stored = crypto.encrypt(plaintext=plaintext, binding=binding)
    if other != binding:
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(stored=stored, binding=other)


def test_two_encryptions_of_the_same_value_differ():
    first = crypto.encrypt(plaintext="13800138000", binding="b")
    second = crypto.encrypt(plaintext="13800138000", binding="b")
    assert first != second
    nonce = lambda stored: base64.urlsafe_b64decode(stored.split(":", 2)[2])[:12]  # noqa: E731
    assert nonce(first) != nonce(second)
    assert crypto.decrypt(stored=first, binding="b") == crypto.decrypt(stored=second, binding="b") == "13800138000"


def test_one_byte_tamper_anywhere_in_the_blob_fails():
    stored = crypto.encrypt(plaintext="330106198503120013", binding="customers.customer.id_number:x")
    header, payload = stored.rsplit(":", 1)
    blob = base64.urlsafe_b64decode(payload)
    for position in range(len(blob)):  # nonce, ciphertext and tag alike
        for mask in (0x01, 0x80, 0xFF):
            tampered = bytearray(blob)
            tampered[position] ^= mask
            forged = f"{header}:{base64.urlsafe_b64encode(bytes(tampered)).decode()}"
            with pytest.raises(crypto.DecryptionError):
                crypto.decrypt(stored=forged, binding="customers.customer.id_number:x")


@pytest.mark.parametrize(
    "forge",
    [
        lambda s: s.replace("v1:k1:", "v1:k0:", 1),  # k0 exists: the header is authenticated anyway
        lambda s: s.replace("v1:k1:", "v2:k1:", 1),
        lambda s: s.replace("v1:k1:", "v1:K1:", 1),
        lambda s: s.replace("v1:k1:", "", 1),
        lambda s: s.replace("v1:k1:", "v1:k1", 1),
        lambda s: s[:-8],  # truncated
        lambda s: s.split(":", 2)[0] + ":k1:" + "A" * 20,  # too short to hold nonce and tag
        lambda s: s + "AAAA",  # extended
        lambda s: "v1:k1:%%%%",
    ],
)
def test_header_and_framing_tamper_fails(forge):
    stored = crypto.encrypt(plaintext="13800138000", binding="b")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored=forge(stored), binding="b")


def test_unknown_key_id_fails():
    foreign = crypto.parse_keyring(keys_setting=f"k9:{crypto.generate_key()}")
    stored = crypto.encrypt(plaintext="13800138000", binding="b", keyring=foreign)
    assert crypto.key_id_of(stored) == "k9"
    with pytest.raises(crypto.DecryptionError, match="unknown key id"):
        crypto.decrypt(stored=stored, binding="b")


def test_same_key_id_with_different_key_material_fails():
    impostor = crypto.parse_keyring(keys_setting=f"k1:{crypto.generate_key()}")
    stored = crypto.encrypt(plaintext="13800138000", binding="b", keyring=impostor)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored=stored, binding="b")


# --- model fields ----------------------------------------------------------------------------------

_text = st.text(min_size=1, max_size=200)


@pytest.mark.django_db
@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(id_number=_text, phone=_text, email=_text, address=_text)
def test_round_trip_through_saved_model_fields(id_number, phone, email, address):
    customer = Customer.objects.create(name="测试", id_number=id_number, phone=phone, email=email, address=address)
    for column in PII_FIELDS:
        assert _raw(Customer, customer.pk, column).startswith("v1:k1:")
    loaded = _fresh(customer)
    assert (loaded.id_number, loaded.phone, loaded.email, loaded.address) == (id_number, phone, email, address)


@pytest.mark.django_db
def test_empty_string_is_stored_as_null():
    customer = make_customer(email="")
    assert _raw(Customer, customer.pk, "email") is None
    assert _fresh(customer).email is None


@pytest.mark.django_db
def test_every_save_uses_a_fresh_nonce_and_the_same_blind_index():
    customer = make_customer(phone="13912345678")
    first = _raw(Customer, customer.pk, "phone")
    loaded = _fresh(customer)
    loaded.phone = "13912345678"
    loaded.save()
    second = _raw(Customer, customer.pk, "phone")
    assert first != second
    assert _fresh(customer).phone == "13912345678"
    assert _fresh(customer).phone_bidx == customer.phone_bidx


@pytest.mark.django_db
def test_ciphertext_copied_to_another_row_fails_to_decrypt():
    alice = make_customer(phone="13911110000")
    bob = make_customer(phone="13922220000")
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET phone = (SELECT phone FROM {table} WHERE id = %s) WHERE id = %s",  # noqa: S608
            [alice.pk, bob.pk],
        )
    assert _raw(Customer, bob.pk, "phone") == _raw(Customer, alice.pk, "phone")
    with pytest.raises(crypto.DecryptionError):
        _ = _fresh(bob).phone
    assert _fresh(alice).phone == "13911110000"


@pytest.mark.django_db
def test_ciphertext_copied_to_another_model_fails_to_decrypt():
    account = make_account(premise_address="浙江省杭州市西湖区文三路1号")
    customer = account.customer
    _write_raw(Account, account.pk, "premise_address", _raw(Customer, customer.pk, "address"))
    with pytest.raises(crypto.DecryptionError):
        _ = Account.objects.get(pk=account.pk).premise_address


@pytest.mark.django_db
def test_ciphertext_moved_to_another_field_of_the_same_row_fails():
    customer = make_customer(phone="13933330000")
    _write_raw(Customer, customer.pk, "email", _raw(Customer, customer.pk, "phone"))
    loaded = _fresh(customer)
    assert loaded.phone == "13933330000"
    with pytest.raises(crypto.DecryptionError):
        _ = loaded.email


@pytest.mark.django_db
def test_orm_update_copying_one_encrypted_column_into_another_is_refused():
    customer = make_customer(phone="13944440000")
    with pytest.raises(EncryptedLookupError), transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(email=F("phone"))
    assert _fresh(customer).email == customer.email


@pytest.mark.django_db
def test_unknown_key_id_in_a_row_fails_closed():
    customer = make_customer(phone="13955550000")
    foreign = crypto.parse_keyring(keys_setting=f"k9:{crypto.generate_key()}")
    binding = Customer._meta.get_field("phone").binding_for(customer)
    _write_raw(
        Customer, customer.pk, "phone", crypto.encrypt(plaintext="13955550000", binding=binding, keyring=foreign)
    )
    with pytest.raises(crypto.DecryptionError, match="unknown key id"):
        _ = _fresh(customer).phone


@pytest.mark.django_db
def test_rotation_keeps_old_rows_readable_and_retiring_the_key_fails_closed():
    with override_settings(FIELD_ENCRYPTION_PRIMARY_KEY_ID="k0"):
        old = make_customer(phone="13966660000", address="浙江省杭州市上城区解放路8号")
    assert all(crypto.key_id_of(_raw(Customer, old.pk, c)) == "k0" for c in PII_FIELDS)
    new = make_customer(phone="13977770000")
    assert crypto.key_id_of(_raw(Customer, new.pk, "phone")) == "k1"

    # Back on k1 as primary with k0 still in the ring: both generations read.
    assert _fresh(old).phone == "13966660000"
    assert _fresh(old).address == "浙江省杭州市上城区解放路8号"
    assert list(Customer.objects.by_phone("13966660000")) == [old]

    with override_settings(FIELD_ENCRYPTION_KEYS=ONLY_K1):
        assert _fresh(new).phone == "13977770000"
        retired = _fresh(old)
        for name in PII_FIELDS:
            with pytest.raises(crypto.DecryptionError):
                getattr(retired, name)
        with pytest.raises(crypto.DecryptionError):
            _ = retired.masked_phone
        with pytest.raises(crypto.DecryptionError):
            list(Customer.objects.by_phone("13966660000"))
    assert _fresh(old).phone == "13966660000"  # key back in the ring → readable again


# --- blind-index search ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_blind_index_finds_exactly_the_right_customer_among_many():
    crowd = [make_customer(phone=f"1391234{n:04d}") for n in range(40)]
    target_id_number = _x_id_number()
    target = make_customer(phone="13987654321", id_number=target_id_number)
    crowd.append(make_customer(phone="13987654322"))

    for typed in ("13987654321", "+86 139-8765-4321", "+8613987654321", "0086 139 8765 4321", " 139 8765 4321 "):
        assert list(Customer.objects.by_phone(typed)) == [target], typed
    for typed in (
        target_id_number,
        target_id_number.lower(),
        f" {target_id_number[:6]} {target_id_number[6:].lower()}",
    ):
        assert list(Customer.objects.by_id_number(typed)) == [target], typed
    assert list(Customer.objects.by_phone("13987654320")) == []
    assert list(Customer.objects.by_phone(crowd[7].phone)) == [crowd[7]]
    assert Customer.objects.matching("email", target.email.upper()).get() == target


@pytest.mark.django_db
def test_save_with_update_fields_keeps_the_blind_index_in_step():
    customer = make_customer(phone="13900001111")
    customer.phone = "13900002222"
    customer.save(update_fields=["phone"])
    assert list(Customer.objects.by_phone("13900002222")) == [customer]


@pytest.mark.django_db
def test_deferred_encrypted_fields_load_and_decrypt_on_access():
    customer = make_customer(phone="13900003333")
    partial = Customer.objects.only("name").get(pk=customer.pk)
    assert partial.phone == "13900003333"
    renamed = Customer.objects.defer("phone").get(pk=customer.pk)
    renamed.name = "改名"
    renamed.save()
    assert _fresh(customer).phone == "13900003333"


@pytest.mark.django_db
def test_blind_index_collision_is_filtered_out_by_decryption():
    alice = make_customer(phone="13900000001")
    bob = make_customer(phone="13900000002")
    Customer.objects.filter(pk=bob.pk).update(phone_bidx=alice.phone_bidx)  # simulate a 64-bit collision
    assert list(Customer.objects.by_phone("13900000001")) == [alice]


@pytest.mark.django_db
def test_equal_values_in_different_fields_have_different_blind_indexes():
    customer = make_customer(phone="13900000003", email="13900000003")
    assert customer.phone_bidx != customer.email_bidx


@pytest.mark.django_db
def test_fields_without_a_blind_index_cannot_be_matched():
    make_customer()
    with pytest.raises(EncryptedLookupError):
        Customer.objects.matching("address", "浙江省杭州市西湖区文三路90号")


# --- refused lookups and writes --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        lambda qs: qs.filter(phone="13800138000"),
        lambda qs: qs.filter(phone__exact="13800138000"),
        lambda qs: qs.filter(phone__iexact="13800138000"),
        lambda qs: qs.filter(phone__icontains="138"),
        lambda qs: qs.filter(phone__startswith="138"),
        lambda qs: qs.filter(id_number__endswith="X"),
        lambda qs: qs.filter(phone__in=["13800138000"]),
        lambda qs: qs.filter(address__regex="文三"),
        lambda qs: qs.filter(email__gt="a"),
        lambda qs: qs.exclude(phone="13800138000"),
        lambda qs: qs.filter(Q(name="x") | Q(phone="13800138000")),
        lambda qs: qs.filter(phone__lower="13800138000"),
        lambda qs: Account.objects.filter(customer__phone="13800138000"),
        lambda qs: Account.objects.filter(premise_address__contains="文三路"),
    ],
)
def test_disallowed_lookups_raise(query):
    make_customer(phone="13800138000")
    with pytest.raises(EncryptedLookupError):
        list(query(Customer.objects.all()))


@pytest.mark.django_db
def test_isnull_is_the_one_allowed_lookup():
    with_email = make_customer()
    without = make_customer(email=None)
    assert list(Customer.objects.filter(email__isnull=True)) == [without]
    assert list(Customer.objects.filter(email__isnull=False)) == [with_email]


@pytest.mark.django_db
def test_order_by_an_encrypted_field_raises():
    make_customer()
    make_customer()
    try:
        list(Customer.objects.order_by("phone"))
    except EncryptedLookupError:
        return
    raise AssertionError("order_by('phone') ran without EncryptedLookupError")


@pytest.mark.django_db
def test_queryset_update_with_plaintext_is_refused():
    customer = make_customer(phone="13800138000")
    # update() marks the surrounding transaction for rollback on error, hence the savepoints.
    with pytest.raises(EncryptedLookupError), transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(phone="13900000000")
    with pytest.raises(EncryptedLookupError), transaction.atomic():
        Customer.objects.update(address="浙江省杭州市")
    assert _fresh(customer).phone == "13800138000"


@pytest.mark.django_db
def test_bulk_update_with_plaintext_is_refused():
    customer = make_customer(phone="13800138000")
    customer.phone = "13900000000"
    with pytest.raises(EncryptedLookupError), transaction.atomic():
        Customer.objects.bulk_update([customer], ["phone"])
    assert _fresh(customer).phone == "13800138000"


# --- no plaintext in values(), serialisers or dumpdata ---------------------------------------------


@pytest.mark.django_db
def test_values_serializers_and_dumpdata_never_show_plaintext():
    fresh = make_customer(phone="13811112222", email="li.na@example.cn", address="浙江省宁波市海曙区中山西路5号")
    account = make_account(customer=fresh, premise_address="浙江省宁波市海曙区中山西路5号1层商铺")
    secrets = [fresh.id_number, "13811112222", "li.na@example.cn", "中山西路5号", "中山西路"]

    rows = list(Customer.objects.values(*PII_FIELDS)) + list(Customer.objects.values_list(*PII_FIELDS))
    text = repr(rows) + repr(list(Account.objects.values("premise_address")))
    assert "v1:k1:" in text

    # Both an instance that holds plaintext in memory and one loaded from the database.
    text += serializers.serialize("json", [fresh, account])
    text += serializers.serialize("json", Customer.objects.all())
    text += serializers.serialize("xml", Customer.objects.all())
    text += serializers.serialize("python", Account.objects.all()).__repr__()
    out = io.StringIO()
    call_command("dumpdata", "customers", "security", stdout=out)
    text += out.getvalue()
    for secret in secrets:
        assert secret not in text, secret


@pytest.mark.django_db
@pytest.mark.xfail(
    strict=True,
    raises=EncryptedLookupError,
    reason="Known limitation: loaddata saves with raw=True, which reads attributes (plaintext) instead of "
    "pre_save, and the field refuses to write plaintext. Backups go through pg_dump; dumps stay ciphertext-only.",
)
def test_dumpdata_output_loads_back_to_the_same_plaintext():
    customer = make_customer(phone="13811113333")
    dumped = serializers.serialize("json", Customer.objects.filter(pk=customer.pk))
    Customer.objects.filter(pk=customer.pk).delete()
    for restored in serializers.deserialize("json", dumped):
        assert restored.object.phone == "13811113333"
        restored.save()
    assert _fresh(customer).phone == "13811113333"
