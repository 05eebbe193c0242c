"""Permission matrix over every /api/v1/ customer-records endpoint and method, for every kind of user.

The expected answers are written out here from the role model (customers/migrations/0003_staff_roles.py)
and the API's rules, not derived from the code under test:

- anonymous: 403 ``not_authenticated`` everywhere (SessionAuthentication comes first, so no 401 challenge);
- a method an endpoint does not offer (DELETE anywhere, writes on areas/feeders, updates of
  interactions): 405 for every signed-in user;
- reads need ``view_<model>``, create ``add_<model>``, PUT/PATCH ``change_<model>``: otherwise 403;
- portal customers: read-only, only their bound accounts and the holders of accounts they own;
  someone else's object is a 404; no areas, feeders or interactions (403);
- reveal: 404 if the customer is not visible, 403 (audited) without ``reveal_customer_pii``, 200 otherwise.

Every JSON body except a successful reveal is also checked for plaintext phone and ID numbers,
plaintext addresses and ciphertext.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.models import Customer, Interaction, PortalBinding, Tag
from security import roles
from security.models import AuditEvent
from tests.factories import (
    bind,
    make_account,
    make_area,
    make_credit_code,
    make_customer,
    make_id_number,
    make_phone,
    make_portal_user,
)
from tests.factories import make_staff as make_staff_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ENDPOINTS = ("customers", "accounts", "transformer-areas", "feeders", "interactions")
ACTIONS = ("list", "retrieve", "create", "update", "partial_update", "delete", "reveal")
SUPPORTED = {
    "customers": {"list", "retrieve", "create", "update", "partial_update", "reveal"},
    "accounts": {"list", "retrieve", "create", "update", "partial_update"},
    "transformer-areas": {"list", "retrieve"},
    "feeders": {"list", "retrieve"},
    "interactions": {"list", "retrieve", "create"},
}
# Per user: endpoint → letters held (v view, a add, c change, r reveal), copied from the role migration.
GRID_VIEW = {"transformer-areas": "v", "feeders": "v"}
GRANTS = {
    roles.CUSTOMER_SERVICE_AGENT: {"customers": "vacr", "accounts": "vac", "interactions": "vac", **GRID_VIEW},
    roles.BILLING_CLERK: {"customers": "v", "accounts": "vc", "interactions": "va", **GRID_VIEW},
    roles.FIELD_ENGINEER: {"customers": "v", "accounts": "v", **GRID_VIEW},
    roles.MARKETING_ANALYST: {"customers": "v", "accounts": "v", "interactions": "v", **GRID_VIEW},
    roles.SECURITY_AUDITOR: {},
    roles.SECURITY_ADMINISTRATOR: {},
    roles.SYSTEM_ADMINISTRATOR: {"customers": "vacr", "accounts": "vac", "interactions": "vac", **GRID_VIEW},
    "integrator": {"customers": "v", "accounts": "v", **GRID_VIEW},
}
INTEGRATOR_PERMISSIONS = ["view_customer", "view_account", "view_transformerarea", "view_feeder"]
PORTAL_USERS = ("customer_a", "customer_b", "member")
USERS = ("anonymous", *PORTAL_USERS, *roles.ALL_ROLES, "integrator")


class World:
    """Customers A, B and C (C bound to nobody), their accounts, two interactions, one user per kind."""

    def __init__(self):
        self.area = make_area(code="A-MATRIX")
        self.feeder = self.area.feeder
        self.other_area = make_area(code="A-OTHER")
        self.vip = Tag.objects.create(name="VIP")
        self.cust_a = make_customer(name="客户甲", address="浙江省杭州市西湖区文三路1号")
        self.cust_b = make_customer(name="客户乙", address="浙江省杭州市上城区解放路2号")
        self.cust_c = make_customer(
            name="某某电子有限公司",
            kind=Customer.Kind.ENTERPRISE,
            id_number=make_credit_code(),
            address="浙江省宁波市江北区人民路8号",
        )
        self.acc_a1 = make_account(
            customer=self.cust_a, area=self.area, premise_address="浙江省杭州市西湖区文三路1号1室"
        )
        self.acc_a2 = make_account(
            customer=self.cust_a, area=self.area, premise_address="浙江省杭州市西湖区文三路1号2室"
        )
        self.acc_b = make_account(
            customer=self.cust_b, area=self.other_area, premise_address="浙江省杭州市上城区解放路2号"
        )
        self.acc_c = make_account(customer=self.cust_c, area=self.other_area, premise_address="浙江省宁波市江北区")
        self.int_a = Interaction.objects.create(
            customer=self.cust_a, account=self.acc_a1, channel="hotline", topic="电费咨询", occurred_at=_at(1)
        )
        self.int_b = Interaction.objects.create(
            customer=self.cust_b, channel="counter", topic="过户", occurred_at=_at(2)
        )
        self.customer_a = make_portal_user()
        bind(user=self.customer_a, account=self.acc_a1)
        bind(user=self.customer_a, account=self.acc_a2)
        self.customer_b = make_portal_user()
        bind(user=self.customer_b, account=self.acc_b)
        self.member = make_portal_user()
        bind(user=self.member, account=self.acc_a1, role=PortalBinding.Role.MEMBER)
        self.secrets = {c.phone for c in (self.cust_a, self.cust_b, self.cust_c)}
        self.secrets |= {c.id_number for c in (self.cust_a, self.cust_b, self.cust_c)}
        self.secrets |= {c.address for c in (self.cust_a, self.cust_b, self.cust_c)}
        self.secrets |= {a.premise_address for a in (self.acc_a1, self.acc_a2, self.acc_b, self.acc_c)}
        self.secrets |= {u.phone for u in (self.customer_a, self.customer_b, self.member)}

    def remember(self, secret: str) -> str:
        """Personal data sent in a request must not come back in any (non-reveal) response either."""
        self.secrets.add(secret)
        return secret

    def client_for(self, user_key: str) -> APIClient:
        client = APIClient()
        if user_key in PORTAL_USERS:
            client.force_login(getattr(self, user_key))
        elif user_key == "integrator":
            user = get_user_model().objects.create_user(username="ami-headend", kind="integrator")
            user.user_permissions.set(
                Permission.objects.filter(content_type__app_label="customers", codename__in=INTEGRATOR_PERMISSIONS)
            )
            client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        elif user_key != "anonymous":
            client.force_login(make_staff_user(role=user_key))
        return client

    # What each list returns to whom: all rows for holders of view_<model>, own rows for portal users.
    def expected_list(self, user_key: str, endpoint: str) -> list[str]:
        everything = {
            "customers": [str(c.public_id) for c in (self.cust_a, self.cust_b, self.cust_c)],
            "accounts": sorted(a.number for a in (self.acc_a1, self.acc_a2, self.acc_b, self.acc_c)),
            "transformer-areas": ["A-MATRIX", "A-OTHER"],
            "feeders": [self.feeder.code],
            "interactions": [self.int_b.pk, self.int_a.pk],  # newest first
        }
        own = {
            "customer_a": {
                "customers": [str(self.cust_a.public_id)],
                "accounts": [self.acc_a1.number, self.acc_a2.number],
            },
            "customer_b": {"customers": [str(self.cust_b.public_id)], "accounts": [self.acc_b.number]},
            "member": {"customers": [], "accounts": [self.acc_a1.number]},
        }
        if user_key in own:
            return own[user_key][endpoint]
        return everything[endpoint]

    def detail_url(self, endpoint: str) -> str:
        key = {
            "customers": self.cust_a.public_id,
            "accounts": self.acc_a1.number,
            "transformer-areas": self.area.code,
            "feeders": self.feeder.code,
            "interactions": self.int_a.pk,
        }[endpoint]
        return f"/api/v1/{endpoint}/{key}"

    def payload(self, endpoint: str, action: str) -> dict:
        if endpoint == "customers":
            if action == "create":
                return {
                    "kind": "individual",
                    "name": "新客户",
                    "id_number": self.remember(make_id_number()),
                    "phone": self.remember(make_phone()),
                    "email": "new@example.cn",
                    "address": self.remember("浙江省杭州市滨江区江南大道8号"),
                    "tags": ["VIP"],
                }
            if action == "update":
                return {"kind": "individual", "name": "客户甲（改）"}
            return {"phone": self.remember(make_phone())}
        if endpoint == "accounts":
            full = {
                "number": self.acc_a1.number,
                "customer": str(self.cust_a.public_id),
                "category": "commercial",
                "voltage_level": "380V",
                "contracted_kva": "50.00",
                "status": "active",
                "opened_on": "2021-05-01",
                "area": self.area.code,
                "premise_address": self.remember("浙江省杭州市西湖区文三路1号商铺"),
            }
            if action == "create":
                return {**full, "number": "3399999999"}
            return full if action == "update" else {"contracted_kva": "63.50"}
        if endpoint == "interactions":
            return {
                "customer": str(self.cust_a.public_id),
                "account": self.acc_a1.number,
                "channel": "online",
                "topic": "增容咨询",
            }
        return {"code": "A-NEW", "name": "新台区", "feeder": self.feeder.code}


def _at(day: int) -> dt.datetime:
    return dt.datetime(2024, 3, day, 9, 30, tzinfo=dt.UTC)


def expected_status(user_key: str, endpoint: str, action: str) -> int:
    if user_key == "anonymous":
        return 403
    if action not in SUPPORTED[endpoint]:
        return 405
    if user_key in PORTAL_USERS:
        return _expected_portal(user_key, endpoint, action)
    held = GRANTS[user_key].get(endpoint, "")
    if action == "reveal":
        return 404 if "v" not in held else (200 if "r" in held else 403)
    needed = {"list": "v", "retrieve": "v", "create": "a", "update": "c", "partial_update": "c"}[action]
    return {"list": 200, "retrieve": 200, "create": 201}.get(action, 200) if needed in held else 403


def _expected_portal(user_key: str, endpoint: str, action: str) -> int:
    if endpoint not in ("customers", "accounts"):
        return 403
    if action in ("create", "update", "partial_update"):
        return 403
    if action == "list":
        return 200
    # Detail actions target customer A's objects: A owns them, the member may read acc_a1 only, B none.
    sees_target = user_key == "customer_a" or (user_key == "member" and endpoint == "accounts")
    if not sees_target:
        return 404
    return 403 if action == "reveal" else 200


def perform(client: APIClient, world: World, endpoint: str, action: str):
    collection = f"/api/v1/{endpoint}"
    detail = world.detail_url(endpoint)
    body = world.payload(endpoint, action)
    if action == "list":
        return client.get(collection)
    if action == "retrieve":
        return client.get(detail)
    if action == "create":
        return client.post(collection, body, format="json")
    if action == "update":
        return client.put(detail, body, format="json")
    if action == "partial_update":
        return client.patch(detail, body, format="json")
    if action == "delete":
        return client.delete(detail)
    return client.post(f"{detail}/reveal")


def _keys(endpoint: str, rows: list[dict]) -> list:
    key = {"customers": "public_id", "accounts": "number", "transformer-areas": "code", "feeders": "code"}
    return [row[key.get(endpoint, "id")] for row in rows]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("user_key", USERS)
def test_permission_matrix(user_key: str, endpoint: str):
    world = World()
    client = world.client_for(user_key)
    # reveal exists only on customers; elsewhere its URL is not routed at all.
    actions = [action for action in ACTIONS if action != "reveal" or endpoint == "customers"]
    expected = {action: expected_status(user_key, endpoint, action) for action in actions}
    got = {}
    for action in actions:
        response = perform(client, world, endpoint, action)
        got[action] = response.status_code
        body = response.json() if response.content else None
        if response.status_code >= 400:
            assert body["error"]["status"] == response.status_code, (action, body)
            if user_key == "anonymous":
                assert body["error"]["code"] == "not_authenticated"
        if action == "reveal" and response.status_code == 200:
            world.cust_a.refresh_from_db()  # partial_update above gave A a new phone number
            assert body == {
                "id_number": world.cust_a.id_number,
                "phone": world.cust_a.phone,
                "email": world.cust_a.email,
                "address": world.cust_a.address,
            }
            continue
        assert_no_plaintext_pii(body, world)
        if action == "list" and response.status_code == 200:
            assert body["count"] == len(world.expected_list(user_key, endpoint))
            assert _keys(endpoint, body["results"]) == world.expected_list(user_key, endpoint)
    assert got == expected


def assert_no_plaintext_pii(body, world: World) -> None:
    text = json.dumps(body, ensure_ascii=False)
    leaked = [secret for secret in world.secrets if secret and secret in text]
    assert not leaked, f"plaintext personal data in a response: {len(leaked)} value(s)"
    assert "v1:k1:" not in text and "v1:k0:" not in text, "ciphertext in a response"


def test_reveal_refusal_and_success_are_audited():
    world = World()
    agent_client = world.client_for(roles.CUSTOMER_SERVICE_AGENT)
    clerk_client = world.client_for(roles.BILLING_CLERK)
    url = f"/api/v1/customers/{world.cust_b.public_id}/reveal"

    refused = clerk_client.post(url)
    allowed = agent_client.post(url)

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert allowed.status_code == 200 and allowed.json()["phone"] == world.cust_b.phone
    assert allowed["Cache-Control"] == "no-store"
    events = AuditEvent.objects.filter(
        action=AuditEvent.Action.PII_REVEAL, object_type="customers.customer", object_id=str(world.cust_b.pk)
    )
    assert sorted(events.values_list("outcome", flat=True)) == ["denied", "success"]


def test_customer_b_reads_own_records_but_gets_404_for_customer_a():
    world = World()
    client = world.client_for("customer_b")

    own_account = client.get(f"/api/v1/accounts/{world.acc_b.number}")
    own_customer = client.get(f"/api/v1/customers/{world.cust_b.public_id}")

    assert own_account.status_code == 200
    assert own_account.json()["customer"] == str(world.cust_b.public_id)
    assert own_account.json()["premise_address_masked"] == "浙江省杭州市****"
    assert own_customer.status_code == 200
    assert own_customer.json()["phone_masked"] == f"{world.cust_b.phone[:3]}****{world.cust_b.phone[-4:]}"
    for url in (f"/api/v1/accounts/{world.acc_a1.number}", f"/api/v1/customers/{world.cust_a.public_id}"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    # Searching for someone else's identifiers finds nothing, rather than revealing they exist.
    assert client.get("/api/v1/customers", {"phone": world.cust_a.phone}).json()["count"] == 0
    assert client.get("/api/v1/accounts", {"number": world.acc_a1.number}).json()["count"] == 0


def test_staff_writes_go_through_the_audited_services():
    world = World()
    client = world.client_for(roles.CUSTOMER_SERVICE_AGENT)
    phone = make_phone()

    created = client.post("/api/v1/customers", world.payload("customers", "create") | {"phone": phone}, format="json")
    patched = client.patch(f"/api/v1/accounts/{world.acc_a1.number}", {"contracted_kva": "12.5"}, format="json")
    logged = client.post("/api/v1/interactions", world.payload("interactions", "create"), format="json")

    assert created.status_code == 201, created.json()
    customer = Customer.objects.get(public_id=created.json()["public_id"])
    assert customer.phone == phone and created.json()["phone_masked"] == f"{phone[:3]}****{phone[-4:]}"
    assert created.json()["tags"] == ["VIP"]
    assert patched.status_code == 200 and patched.json()["contracted_kva"] == "12.50"
    world.acc_a1.refresh_from_db()
    assert str(world.acc_a1.contracted_kva) == "12.50"
    assert logged.status_code == 201 and logged.json()["staff"].startswith(roles.CUSTOMER_SERVICE_AGENT)
    audited = set(AuditEvent.objects.values_list("action", "object_type"))
    assert {
        ("create", "customers.customer"),
        ("update", "customers.account"),
        ("create", "customers.interaction"),
    } <= audited


def test_integrator_token_reads_but_cannot_write():
    world = World()
    client = world.client_for("integrator")

    listed = client.get("/api/v1/accounts", {"area": "A-MATRIX"})
    written = client.patch(f"/api/v1/accounts/{world.acc_a1.number}", {"contracted_kva": "9.00"}, format="json")
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert listed.status_code == 200
    assert [row["number"] for row in listed.json()["results"]] == [world.acc_a1.number, world.acc_a2.number]
    assert written.status_code == 403
    assert bad_token.get("/api/v1/accounts").status_code == 403


def test_browsable_api_pages_show_no_plaintext_either():
    world = World()
    client = world.client_for(roles.SYSTEM_ADMINISTRATOR)
    pages = ["/api/v1/", *(f"/api/v1/{endpoint}" for endpoint in ENDPOINTS)]
    pages += [world.detail_url(endpoint) for endpoint in ENDPOINTS]

    for url in pages:
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not [secret for secret in world.secrets if secret in html], url
        assert "v1:k1:" not in html, url
