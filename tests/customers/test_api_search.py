"""Customer search in /api/v1/: exact ID number / phone / e-mail through the blind index, plus plain filters."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from customers.models import Customer, Tag
from security import roles
from tests.factories import (
    bind,
    make_account,
    make_credit_code,
    make_customer,
    make_id_number,
    make_portal_user,
    make_staff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client() -> APIClient:
    client = APIClient()
    client.force_login(make_staff(role=roles.CUSTOMER_SERVICE_AGENT))
    return client


@pytest.fixture
def people() -> dict[str, Customer]:
    # Near-identical neighbours: same name, phone numbers one digit apart, ID numbers with an X check digit.
    x_id = next(n for n in (make_id_number(serial=s) for s in range(1, 200)) if n.endswith("X"))
    return {
        "wang": make_customer(name="王伟", id_number=x_id, phone="13800138000", email="Wang.Wei@Example.cn"),
        "wang2": make_customer(name="王伟", phone="13800138001"),
        "li": make_customer(name="李娜", phone="13900139000"),
        "firm": make_customer(name="杭州某某电子有限公司", kind=Customer.Kind.ENTERPRISE, id_number=make_credit_code()),
    }


def public_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["public_id"] for row in response.json()["results"]]


@pytest.mark.parametrize("typed", ["13800138000", "+86 138-0013-8000", "0086 13800138000", " 138 0013 8000 "])
def test_phone_search_finds_exactly_the_right_customer_however_typed(agent_client, people, typed):
    assert public_ids(agent_client.get("/api/v1/customers", {"phone": typed})) == [str(people["wang"].public_id)]


def test_id_number_search_is_exact_and_accepts_lower_case_x(agent_client, people):
    id_number = people["wang"].id_number

    assert public_ids(agent_client.get("/api/v1/customers", {"id_number": id_number.lower()})) == [
        str(people["wang"].public_id)
    ]
    assert public_ids(agent_client.get("/api/v1/customers", {"id_number": id_number[:-1]})) == []
    assert public_ids(agent_client.get("/api/v1/customers", {"id_number": people["firm"].id_number})) == [
        str(people["firm"].public_id)
    ]


def test_email_search_is_case_insensitive_exact(agent_client, people):
    assert public_ids(agent_client.get("/api/v1/customers", {"email": "wang.wei@example.CN"})) == [
        str(people["wang"].public_id)
    ]
    assert public_ids(agent_client.get("/api/v1/customers", {"email": "wang.wei@example"})) == []


def test_blind_index_search_combines_with_other_filters(agent_client, people):
    assert public_ids(agent_client.get("/api/v1/customers", {"phone": "13800138000", "kind": "enterprise"})) == []
    assert public_ids(agent_client.get("/api/v1/customers", {"phone": "13800138000", "name": "王"})) == [
        str(people["wang"].public_id)
    ]


def test_search_by_account_number_name_kind_and_tag(agent_client, people):
    account = make_account(customer=people["li"])
    vip = Tag.objects.create(name="VIP")
    people["wang2"].tags.add(vip)

    assert public_ids(agent_client.get("/api/v1/customers", {"account_number": account.number})) == [
        str(people["li"].public_id)
    ]
    assert public_ids(agent_client.get("/api/v1/customers", {"name": "王伟"})) == [
        str(people["wang"].public_id),
        str(people["wang2"].public_id),
    ]
    assert public_ids(agent_client.get("/api/v1/customers", {"kind": "enterprise"})) == [str(people["firm"].public_id)]
    assert public_ids(agent_client.get("/api/v1/customers", {"tag": "VIP"})) == [str(people["wang2"].public_id)]


def test_ordering_by_allowed_fields(agent_client, people):
    by_name_desc = agent_client.get("/api/v1/customers", {"ordering": "-name"}).json()["results"]

    assert [row["name"] for row in by_name_desc] == sorted((c.name for c in people.values()), reverse=True)


def test_portal_customer_search_stays_inside_their_own_records(people):
    account = make_account(customer=people["wang"])
    user = make_portal_user()
    bind(user=user, account=account)
    client = APIClient()
    client.force_login(user)

    assert public_ids(client.get("/api/v1/customers", {"phone": "13800138000"})) == [str(people["wang"].public_id)]
    assert public_ids(client.get("/api/v1/customers", {"phone": "13900139000"})) == []


def test_search_results_are_masked(agent_client, people):
    row = agent_client.get("/api/v1/customers", {"phone": "13800138000"}).json()["results"][0]

    assert row["phone_masked"] == "138****8000"
    assert row["id_number_masked"] == f"{people['wang'].id_number[:3]}{'*' * 11}{people['wang'].id_number[-4:]}"
    assert row["email_masked"] == "W***@Example.cn"
    assert "13800138000" not in str(row) and people["wang"].id_number not in str(row)
