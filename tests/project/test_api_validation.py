"""Bad input to /api/v1/ is a 400 naming the field (or another 4xx), never a 500."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from customers.models import Account, Customer, Tag
from security import roles
from tests.factories import (
    make_account,
    make_area,
    make_credit_code,
    make_customer,
    make_id_number,
    make_phone,
    make_staff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> APIClient:
    client = APIClient()
    client.force_login(make_staff(role=roles.SYSTEM_ADMINISTRATOR))
    return client


@pytest.fixture
def area():
    return make_area(code="A-VAL")


@pytest.fixture
def customer():
    return make_customer(name="张三")


def customer_payload(**overrides) -> dict:
    return {
        "kind": "individual",
        "name": "李四",
        "id_number": make_id_number(),
        "phone": make_phone(),
        "email": "li.si@example.cn",
        "address": "浙江省杭州市拱墅区湖墅南路1号",
    } | overrides


def account_payload(*, customer: Customer, area, **overrides) -> dict:
    return {
        "number": "3312345678",
        "customer": str(customer.public_id),
        "category": "residential",
        "voltage_level": "220V",
        "contracted_kva": "8.00",
        "status": "active",
        "opened_on": "2023-04-01",
        "area": area.code,
        "premise_address": "浙江省杭州市拱墅区湖墅南路1号2单元",
    } | overrides


def assert_field_error(response, field: str) -> None:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["status"] == 400 and error["code"] == "invalid"
    assert field in error["fields"], error["fields"]
    assert all(isinstance(message, str) and message for message in error["fields"][field])


def wrong_check_digit(id_number: str) -> str:
    last = id_number[-1]
    return id_number[:-1] + ("0" if last != "0" else "1")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id_number": "wrong-check-digit"}, "id_number"),
        ({"id_number": "110101199013329999"}, "id_number"),  # no 33rd of a month
        ({"id_number": "990101199001011234"}, "id_number"),  # region 99 does not exist
        ({"id_number": ""}, "id_number"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "23800138000"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"kind": "robot"}, "kind"),
        ({"name": ""}, "name"),
        ({"name": ["a", "list"]}, "name"),
        ({"name": "名" * 201}, "name"),
        ({"name": "null\x00byte"}, "name"),
        ({"tags": ["no-such-tag"]}, "tags"),
        ({"tags": "VIP"}, "tags"),
        ({"kind": "enterprise"}, "id_number"),  # an ID number is not a credit code
    ],
)
def test_customer_create_rejects_bad_fields(admin_client, overrides, field):
    payload = customer_payload(**overrides)
    if overrides.get("id_number") == "wrong-check-digit":
        payload["id_number"] = wrong_check_digit(make_id_number())

    response = admin_client.post("/api/v1/customers", payload, format="json")

    assert_field_error(response, field)
    assert not Customer.objects.exists()


def test_customer_create_accepts_credit_code_for_enterprise_and_normalises_phone(admin_client):
    Tag.objects.create(name="大客户")
    payload = customer_payload(
        kind="enterprise",
        name="某某科技有限公司",
        id_number=make_credit_code(),
        phone="+86 139-0013-8000",
        tags=["大客户"],
    )

    response = admin_client.post("/api/v1/customers", payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phone_masked"] == "139****8000"
    assert body["tags"] == ["大客户"]
    assert Customer.objects.get(public_id=body["public_id"]).phone == "13900138000"
    assert not {"id_number", "phone", "email", "address"} & set(body)


def test_customer_kind_change_is_checked_against_the_existing_id_number(admin_client, customer):
    response = admin_client.patch(f"/api/v1/customers/{customer.public_id}", {"kind": "enterprise"}, format="json")

    assert_field_error(response, "id_number")
    customer.refresh_from_db()
    assert customer.kind == Customer.Kind.INDIVIDUAL


def test_customer_put_keeps_personal_data_left_out(admin_client, customer):
    phone = customer.phone

    response = admin_client.put(
        f"/api/v1/customers/{customer.public_id}", {"kind": "individual", "name": "张三丰"}, format="json"
    )

    assert response.status_code == 200, response.json()
    customer.refresh_from_db()
    assert (customer.name, customer.phone) == ("张三丰", phone)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"contracted_kva": "abc"}, "contracted_kva"),
        ({"contracted_kva": "1.234"}, "contracted_kva"),
        ({"contracted_kva": "0"}, "contracted_kva"),
        ({"contracted_kva": "-5"}, "contracted_kva"),
        ({"contracted_kva": "123456789012"}, "contracted_kva"),
        ({"contracted_kva": {"value": 1}}, "contracted_kva"),
        ({"opened_on": "2024-13-01"}, "opened_on"),
        ({"opened_on": "yesterday"}, "opened_on"),
        ({"opened_on": 20240101}, "opened_on"),
        ({"area": "NO-SUCH-AREA"}, "area"),
        ({"area": ["A-VAL"]}, "area"),
        ({"customer": "not-a-uuid"}, "customer"),
        ({"customer": {"public_id": "x"}}, "customer"),
        ({"customer": "00000000-0000-0000-0000-000000000000"}, "customer"),
        ({"number": "12ab"}, "number"),
        ({"number": "123"}, "number"),
        ({"category": "household"}, "category"),
        ({"voltage_level": "5V"}, "voltage_level"),
        ({"status": "closed"}, "closed_on"),  # closed needs a closing date
        ({"closed_on": "2024-01-01"}, "closed_on"),  # only closed accounts have one
        ({"status": "closed", "closed_on": "2020-01-01"}, "closed_on"),  # before opened_on
        ({"premise_address": None}, "premise_address"),
    ],
)
def test_account_create_rejects_bad_fields(admin_client, customer, area, overrides, field):
    response = admin_client.post(
        "/api/v1/accounts", account_payload(customer=customer, area=area) | overrides, format="json"
    )

    assert_field_error(response, field)
    assert not Account.objects.filter(customer=customer).exists()


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1e-400", "12345678901234567890"])
def test_account_capacity_out_of_range_json_numbers_are_a_400(admin_client, customer, area, number):
    # Raw JSON: 1e400 parses to infinity, which the test client's encoder would refuse to send.
    body = json.dumps(account_payload(customer=customer, area=area, contracted_kva="__N__")).replace('"__N__"', number)

    response = admin_client.generic("POST", "/api/v1/accounts", body, content_type="application/json")

    assert_field_error(response, "contracted_kva")


def test_account_number_is_unique_and_immutable(admin_client, customer, area):
    existing = make_account(customer=customer, area=area)

    duplicate = admin_client.post(
        "/api/v1/accounts", account_payload(customer=customer, area=area, number=existing.number), format="json"
    )
    renamed = admin_client.patch(f"/api/v1/accounts/{existing.number}", {"number": "3300000001"}, format="json")

    assert_field_error(duplicate, "number")
    assert_field_error(renamed, "number")
    assert Account.objects.filter(number=existing.number).count() == 1


def test_account_create_returns_masked_address_and_decimal_string(admin_client, customer, area):
    response = admin_client.post("/api/v1/accounts", account_payload(customer=customer, area=area), format="json")

    assert response.status_code == 201, response.json()
    assert response.json() == {
        "number": "3312345678",
        "customer": str(customer.public_id),
        "category": "residential",
        "voltage_level": "220V",
        "contracted_kva": "8.00",
        "status": "active",
        "opened_on": "2023-04-01",
        "closed_on": None,
        "area": "A-VAL",
        "premise_address_masked": "浙江省杭州市****",
    }
    assert Account.objects.get(number="3312345678").premise_address == "浙江省杭州市拱墅区湖墅南路1号2单元"


def test_account_closing_through_patch_checks_the_date_against_the_stored_opening(admin_client, customer, area):
    account = make_account(customer=customer, area=area)  # opened 2020-01-01

    early = admin_client.patch(
        f"/api/v1/accounts/{account.number}", {"status": "closed", "closed_on": "2019-12-31"}, format="json"
    )
    ok = admin_client.patch(
        f"/api/v1/accounts/{account.number}", {"status": "closed", "closed_on": "2024-06-30"}, format="json"
    )

    assert_field_error(early, "closed_on")
    assert ok.status_code == 200 and ok.json()["status"] == "closed"


def test_interaction_account_must_belong_to_the_customer(admin_client, customer, area):
    someone_else = make_account(area=area)

    response = admin_client.post(
        "/api/v1/interactions",
        {"customer": str(customer.public_id), "account": someone_else.number, "channel": "hotline", "topic": "x"},
        format="json",
    )

    assert_field_error(response, "account")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"topic": ""}, "topic"),
        ({"occurred_at": "2024-02-30T10:00:00+08:00"}, "occurred_at"),
        ({"customer": None}, "customer"),
        ({"account": "9999999999"}, "account"),
    ],
)
def test_interaction_create_rejects_bad_fields(admin_client, customer, overrides, field):
    payload = {"customer": str(customer.public_id), "channel": "counter", "topic": "电价咨询"} | overrides

    assert_field_error(admin_client.post("/api/v1/interactions", payload, format="json"), field)


@pytest.mark.parametrize(
    "body",
    ['{"name": "张三",', "[]", '"just a string"', "null", "NaN", '{"kind": "individual", "name": NaN}'],
)
def test_malformed_or_non_object_json_is_a_400(admin_client, body):
    response = admin_client.generic("POST", "/api/v1/customers", body, content_type="application/json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400 and error["code"] in {"parse_error", "invalid"}


def test_unsupported_media_type_is_a_415(admin_client):
    response = admin_client.generic("POST", "/api/v1/customers", "name=x", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


WEIRD_VALUES = [None, 0, -1, 10**30, 1.5, True, "", " ", "x" * 5000, "\x00", "١٢٣", [], [1], {}, {"a": None}]


def test_no_value_in_any_field_produces_a_server_error(admin_client, customer, area):
    """Every field of every writable endpoint, fed odd JSON values, answers 2xx or 4xx — never 5xx."""
    bodies = {
        "/api/v1/customers": customer_payload(),
        "/api/v1/accounts": account_payload(customer=customer, area=area),
        "/api/v1/interactions": {"customer": str(customer.public_id), "channel": "sms", "topic": "t"},
    }
    answered = set()
    for url, valid in bodies.items():
        for field in valid:
            for value in WEIRD_VALUES:
                body = valid | {field: value}
                if url.endswith("accounts"):
                    body["number"] = f"34{len(answered):08d}" if field != "number" else value
                created = admin_client.post(url, body, format="json")
                patched = admin_client.patch(f"/api/v1/customers/{customer.public_id}", {field: value}, format="json")
                for response in (created, patched):
                    assert response.status_code < 500, (url, field, value, response.content[:300])
                    if response.status_code == 400:
                        assert response.json()["error"]["fields"]
                    answered.add((url, field, repr(value), response.status_code))
    assert len(answered) > 100


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/customers?ordering=phone", "ordering"),
        ("/api/v1/customers?ordering=id_number_bidx", "ordering"),
        ("/api/v1/customers?phone__icontains=138", "phone__icontains"),
        ("/api/v1/customers?address=浙江", "address"),
        ("/api/v1/customers?id_number_bidx=abcd", "id_number_bidx"),
        ("/api/v1/customers?kind=robot", "kind"),
        ("/api/v1/accounts?premise_address=文三路", "premise_address"),
        ("/api/v1/accounts?customer__phone=13800138000", "customer__phone"),
        ("/api/v1/accounts?ordering=premise_address", "ordering"),
        ("/api/v1/accounts?customer=not-a-uuid", "customer"),
        ("/api/v1/accounts?opened_on_after=2024-02-30", "opened_on"),
        ("/api/v1/accounts?status=gone", "status"),
        ("/api/v1/interactions?customer__email=a@b.cn", "customer__email"),
        ("/api/v1/interactions?occurred_at_after=soon", "occurred_at"),
    ],
)
def test_bad_or_encrypted_filters_are_a_400_naming_the_parameter(admin_client, url, field):
    assert_field_error(admin_client.get(url), field)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/not-a-uuid",
        "/api/v1/customers/00000000-0000-0000-0000-000000000000",
        "/api/v1/accounts/0000000000",
        "/api/v1/accounts/%00",
        "/api/v1/interactions/abc",
        "/api/v1/interactions/99999999999999999999999",
        "/api/v1/transformer-areas/NOPE",
    ],
)
def test_unknown_or_malformed_lookups_are_a_json_404(admin_client, url):
    response = admin_client.get(url)

    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (404, "not_found") and error["message"]
