"""``seed_demo`` and customers.demo: deterministic, valid, realistic demo data and logins."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from customers import demo
from customers.models import Account, Customer, PortalBinding
from customers.validators import validate_account_number, validate_credit_code, validate_id_number, validate_mobile
from security import roles
from tests.module_data import kept_for_module

AS_OF = dt.date(2025, 6, 1)
VOLTAGE_AND_KVA = {
    Account.Category.RESIDENTIAL: ({"220V"}, Decimal(4), Decimal(12)),
    Account.Category.COMMERCIAL: ({"380V"}, Decimal(20), Decimal(200)),
    Account.Category.INDUSTRIAL: ({"10kV"}, Decimal(315), Decimal(5000)),
    Account.Category.AGRICULTURAL: ({"380V"}, Decimal(10), Decimal(80)),
}


def _fingerprint(dataset: demo.DemoDataset) -> list[tuple]:
    return [
        (c.name, c.id_number, c.phone, c.email, c.address, tuple((a.number, a.premise_address) for a in c.accounts))
        for c in dataset.customers
    ]


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


# --- the generator (no database) -------------------------------------------------------------------


def test_same_seed_gives_the_same_dataset():
    first = demo.generate_demo_dataset(customers=30, seed=7, as_of=AS_OF)
    second = demo.generate_demo_dataset(customers=30, seed=7, as_of=AS_OF)
    assert first == second
    assert _fingerprint(first) == _fingerprint(second)


def test_different_seeds_give_different_people():
    first = demo.generate_demo_dataset(customers=30, seed=7, as_of=AS_OF)
    other = demo.generate_demo_dataset(customers=30, seed=8, as_of=AS_OF)
    assert [c.id_number for c in first.customers] != [c.id_number for c in other.customers]
    assert {a.number for c in first.customers for a in c.accounts}.isdisjoint(
        {a.number for c in other.customers for a in c.accounts}
    )


def test_generated_identifiers_are_valid_and_unique():
    dataset = demo.generate_demo_dataset(customers=600, seed=3, as_of=AS_OF)
    kinds = Counter(c.kind for c in dataset.customers)
    assert kinds[Customer.Kind.INDIVIDUAL] > kinds[Customer.Kind.ENTERPRISE] > 0
    for c in dataset.customers:
        if c.kind == Customer.Kind.INDIVIDUAL:
            validate_id_number(c.id_number, today=AS_OF)
            birth = dt.date(int(c.id_number[6:10]), int(c.id_number[10:12]), int(c.id_number[12:14]))
            assert demo.BIRTH_FROM <= birth <= demo.BIRTH_TO
        else:
            validate_credit_code(c.id_number)
            assert demo.gb11714_check_char(c.id_number[8:16]) == c.id_number[16]
        validate_mobile(c.phone)
        assert c.email is None or "@" in c.email
        assert c.address.startswith("浙江省")
    numbers = [a.number for c in dataset.customers for a in c.accounts]
    for number in numbers:
        validate_account_number(number)
    assert len(set(numbers)) == len(numbers)
    assert len({c.id_number for c in dataset.customers}) == len(dataset.customers)
    assert len({c.phone for c in dataset.customers}) == len(dataset.customers)


def test_gb11714_helper_matches_the_published_credit_code():
    assert demo.gb11714_check_char("M000100Y") == "4"  # 91350100M000100Y43


def test_accounts_have_sensible_categories_voltages_and_capacities():
    dataset = demo.generate_demo_dataset(customers=1000, seed=11, as_of=AS_OF)
    accounts = [a for c in dataset.customers for a in c.accounts]
    assert set(Counter(a.category for a in accounts)) == set(VOLTAGE_AND_KVA)
    area_codes = {a.code for a in dataset.areas}
    feeder_codes = {f.code for f in dataset.feeders}
    for a in accounts:
        voltages, low, high = VOLTAGE_AND_KVA[a.category]
        assert a.voltage_level in voltages
        assert low <= a.contracted_kva <= high, a
        assert a.area_code in area_codes
        assert a.opened_on <= AS_OF
        assert (a.status == Account.Status.CLOSED) == (a.closed_on is not None)
        assert a.closed_on is None or a.opened_on <= a.closed_on <= AS_OF
    assert all(area.feeder_code in feeder_codes for area in dataset.areas)
    per_customer = Counter(len(c.accounts) for c in dataset.customers)
    assert per_customer[2] > 0 and per_customer[3] > 0 and max(per_customer) <= 3
    assert all(f.name.endswith("线") for f in dataset.feeders)
    assert any(a.name.endswith("号公变") for a in dataset.areas)
    assert any(a.name.endswith("专变") for a in dataset.areas)


def test_demo_holder_is_first_with_two_active_accounts():
    holder = demo.generate_demo_dataset(customers=5, seed=42, as_of=AS_OF).customers[0]
    assert holder.kind == Customer.Kind.INDIVIDUAL
    assert holder.phone == demo.DEMO_CUSTOMER_PHONE
    assert [a.status for a in holder.accounts] == [Account.Status.ACTIVE, Account.Status.ACTIVE]


# --- the command (database) ------------------------------------------------------------------------
# One seed for these tests (tests/module_data.py); the ones that need an empty database of their own
# are in test_seed_options.


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> Iterator[str]:
    # --curves 0: these tests read people, accounts and logins, not load curves
    yield from kept_for_module(
        django_db_blocker, lambda: _seed("--customers", "30", "--as-of", AS_OF.isoformat(), "--curves", "0")
    )


@pytest.mark.django_db
def test_seeded_identifiers_pass_the_validators_and_are_stored_encrypted(seeded):
    for customer in Customer.objects.all():
        customer.full_clean()  # runs the ID number / credit code and mobile validators
        validate_mobile(customer.phone)
    for account in Account.objects.select_related("area"):
        account.full_clean()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, email, address FROM customers_customer")
        raw = [v for row in cursor.fetchall() for v in row if v is not None]
        cursor.execute("SELECT premise_address FROM customers_account")
        raw += [row[0] for row in cursor.fetchall()]
    # bulk_create ran the fields' pre_save: every stored value is ciphertext under the primary key.
    assert raw and all(v.startswith("v1:k1:") for v in raw)
    assert Customer.objects.by_phone(demo.DEMO_CUSTOMER_PHONE).count() == 1


@pytest.mark.django_db
def test_demo_customer_user_has_exactly_two_owner_bindings(seeded):
    user = get_user_model().objects.get(username=demo.DEMO_CUSTOMER_USERNAME)
    assert user.kind == "customer" and not user.is_staff
    assert user.phone == demo.DEMO_CUSTOMER_PHONE
    assert user.check_password(demo.DEMO_CUSTOMER_PASSWORD)
    bindings = list(PortalBinding.objects.filter(user=user).select_related("account__customer"))
    assert len(bindings) == 2
    assert {b.role for b in bindings} == {PortalBinding.Role.OWNER}
    assert {b.method for b in bindings} == {PortalBinding.Method.STAFF}
    assert {b.account.customer.phone for b in bindings} == {demo.DEMO_CUSTOMER_PHONE}
    assert get_user_model().objects.matching("phone", "+86 138 0013 8000").get() == user


@pytest.mark.django_db
def test_one_staff_user_per_role_in_its_group_and_a_superuser(seeded):
    output = seeded
    user_model = get_user_model()
    for role in roles.ALL_ROLES:
        user = user_model.objects.get(username=demo.staff_username_for(role=role))
        assert user.kind == "staff" and user.is_staff and not user.is_superuser
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.check_password(demo.DEMO_STAFF_PASSWORD)
        assert user.username in output
    assert user_model.objects.filter(is_staff=True, is_superuser=False).count() == len(roles.ALL_ROLES)
    assert user_model.objects.get(username="agent").has_perm("customers.reveal_customer_pii")
    admin = user_model.objects.get(username=demo.DEMO_ADMIN_USERNAME)
    assert admin.is_superuser and admin.check_password(demo.DEMO_ADMIN_PASSWORD)
    for login in demo.demo_logins():
        assert login.password in output


@pytest.mark.django_db
def test_if_empty_does_not_duplicate_and_prints_the_logins(seeded):
    counts = (Customer.objects.count(), Account.objects.count(), get_user_model().objects.count())
    output = _seed("--if-empty")
    assert (Customer.objects.count(), Account.objects.count(), get_user_model().objects.count()) == counts
    assert "nothing to do" in output
    assert demo.DEMO_CUSTOMER_PHONE in output and demo.DEMO_STAFF_PASSWORD in output
    with pytest.raises(CommandError, match="already"):
        _seed("--customers", "30")


@pytest.mark.django_db
def test_binding_example_is_a_real_unbound_account_with_the_right_proof(seeded):
    output = seeded
    example = demo.binding_example()
    account = Account.objects.select_related("customer").get(number=example.account_number)
    assert not account.bindings.exists()
    assert account.customer.id_number[-6:] == example.id_number_last6
    assert example.account_number in output
