"""Permission matrix over every /api/v1/service-types and /api/v1/service-requests endpoint and method,
for every kind of user, on PostgreSQL.

The expected answers are written out here from the rules, not derived from the code under test:

- anonymous: 403 ``not_authenticated`` everywhere (SessionAuthentication first, so no 401 challenge);
- a method an endpoint does not offer (writes on the catalogue, PATCH/DELETE on a request): 405 for every
  signed-in user;
- the catalogue: every signed-in user;
- requests: portal customers reach the ones they filed (another customer's is a 404, its files too);
  staff need ``services.view_servicerequest`` (granted below to the roles that work requests: agent,
  billing clerk, field engineer, system administrator; not the analyst nor the auditor, who get 403);
  integrators hold no service-request permission (403);
- filing: portal customers only (staff 403);
- a transition: the workflow decides by role — on a submitted request only the customer service agent
  may ``return`` it (200); every other user who sees the request gets 403 code ``role``;
- rating: only the applicant, and only once completed: the applicant gets 409 ``state`` on a submitted
  request, staff 403 ``role``;
- reveal of personal answers: ``customers.reveal_customer_pii`` (agent, system administrator: 200),
  anybody else who sees the request 403;
- uploading: anybody holding a role on the request (the applicant, any staff role); download: anybody
  who sees the request.

Every JSON body except the applicant's own view of the request and a successful reveal is also checked
for the request's personal answers in clear, and for ciphertext.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from security import roles
from services.actions.attachments import add_attachment
from services.actions.requests import submit_request
from services.models import RequestAttachment, ServiceRequest
from tests.factories import (
    SHANGHAI,
    bind,
    make_account,
    make_area,
    make_id_number,
    make_phone,
    make_portal_user,
    make_staff,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
REQUEST_VIEWERS = {
    roles.CUSTOMER_SERVICE_AGENT,
    roles.BILLING_CLERK,
    roles.FIELD_ENGINEER,
    roles.SYSTEM_ADMINISTRATOR,
}
REVEALERS = {roles.CUSTOMER_SERVICE_AGENT, roles.SYSTEM_ADMINISTRATOR}  # customers.reveal_customer_pii
PORTAL_USERS = ("customer_a", "customer_b")
USERS = ("anonymous", *PORTAL_USERS, *roles.ALL_ROLES, "integrator")
ACTIONS = (
    "types_list",
    "types_retrieve",
    "types_create",
    "list",
    "retrieve",
    "create",
    "update",
    "delete",
    "transition",
    "rating",
    "reveal",
    "attachments_list",
    "upload",
    "download",
)
UNSUPPORTED = {"types_create", "update", "delete"}
CATALOGUE = {"types_list", "types_retrieve"}


@pytest.fixture(autouse=True)
def request_view_grants(db):
    """services.view_servicerequest for exactly REQUEST_VIEWERS (no grant migration for it exists yet)."""
    permission = Permission.objects.get(content_type__app_label="services", codename="view_servicerequest")
    for role in roles.ALL_ROLES:
        group = Group.objects.get(name=role)
        (group.permissions.add if role in REQUEST_VIEWERS else group.permissions.remove)(permission)


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


class World:
    """Customer A's new-connection request (with a file) and customer B's consultation."""

    def __init__(self):
        self.customer_a = make_portal_user()
        bind(user=self.customer_a, account=make_account(area=make_area(code="A-PM-1")))
        self.customer_b = make_portal_user()
        bind(user=self.customer_b, account=make_account(area=make_area(code="A-PM-2")))
        self.phone, self.id_number = make_phone(), make_id_number()
        self.name, self.address = "李四海", "浙江省杭州市拱墅区莫干山路18号5幢602室"
        filed_at = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
        self.request_a = submit_request(
            applicant=self.customer_a,
            service_type_code="res_new_connection",
            form={
                "applicant_name": self.name,
                "applicant_id_number": self.id_number,
                "contact_phone": self.phone,
                "site_address": self.address,
                "category": "residential",
                "voltage_level": "220V",
                "requested_kva": "6",
            },
            as_of=filed_at,
        )
        self.request_b = submit_request(
            applicant=self.customer_b,
            service_type_code="consultation",
            form={"question": "怎么办理峰谷电价？"},
            as_of=filed_at.replace(hour=10),
        )
        self.file_a = add_attachment(
            actor=self.customer_a,
            service_request=self.request_a,
            document_type="id_card",
            filename="id.pdf",
            content=SimpleUploadedFile("id.pdf", PDF),
            as_of=filed_at,
        )
        self.secrets = {self.phone, self.id_number, self.name, self.address}

    def client_for(self, user_key: str) -> APIClient:
        client = APIClient()
        if user_key in PORTAL_USERS:
            client.force_login(getattr(self, user_key))
        elif user_key == "integrator":
            user = get_user_model().objects.create_user(username="crm-bridge", kind="integrator")
            client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        elif user_key != "anonymous":
            client.force_login(make_staff(role=user_key))
        return client

    def expected_list(self, user_key: str) -> list[str]:
        if user_key == "customer_a":
            return [self.request_a.number]
        if user_key == "customer_b":
            return [self.request_b.number]
        return [self.request_b.number, self.request_a.number]  # newest first


def expected(user_key: str, action: str) -> tuple[int, str | None]:
    """(status, error code or None) for one user and action; request A is the target of detail actions."""
    if user_key == "anonymous":
        return 403, "not_authenticated"
    if action in UNSUPPORTED:
        return 405, "method_not_allowed"
    if action in CATALOGUE:
        return 200, None
    if user_key in PORTAL_USERS:
        return _expected_portal(user_key, action)
    if action == "create" or user_key not in REQUEST_VIEWERS:  # the integrator, the analyst, the auditor
        return 403, "permission_denied"
    staff = {
        "list": (200, None),
        "retrieve": (200, None),
        "transition": (200, None) if user_key == roles.CUSTOMER_SERVICE_AGENT else (403, "role"),
        "rating": (403, "role"),
        "reveal": (200, None) if user_key in REVEALERS else (403, "permission_denied"),
        "attachments_list": (200, None),
        "upload": (201, None),
        "download": (200, None),
    }
    return staff[action]


def _expected_portal(user_key: str, action: str) -> tuple[int, str | None]:
    if action == "list":
        return 200, None
    if action == "create":
        return 201, None
    if user_key == "customer_b":
        return 404, "not_found"  # A's request and file do not exist for B
    return {
        "retrieve": (200, None),
        "transition": (403, "role"),
        "rating": (409, "state"),
        "reveal": (403, "permission_denied"),
        "attachments_list": (200, None),
        "upload": (201, None),
        "download": (200, None),
    }[action]


def perform(client: APIClient, world: World, action: str):
    detail = f"/api/v1/service-requests/{world.request_a.number}"
    if action == "types_list":
        return client.get("/api/v1/service-types")
    if action == "types_retrieve":
        return client.get("/api/v1/service-types/res_new_connection")
    if action == "types_create":
        return client.post("/api/v1/service-types", {"code": "x"}, format="json")
    if action == "list":
        return client.get("/api/v1/service-requests")
    if action == "retrieve":
        return client.get(detail)
    if action == "create":
        return client.post(
            "/api/v1/service-requests", {"service_type": "consultation", "form": {"question": "?"}}, format="json"
        )
    if action == "update":
        return client.patch(detail, {"status": "completed"}, format="json")
    if action == "delete":
        return client.delete(detail)
    if action == "transition":
        return client.post(f"{detail}/transitions", {"action": "return", "note": "请补充房产证明"}, format="json")
    if action == "rating":
        return client.post(f"{detail}/rating", {"rating": 5}, format="json")
    if action == "reveal":
        return client.post(f"{detail}/reveal")
    if action == "attachments_list":
        return client.get(f"{detail}/attachments")
    if action == "upload":
        return client.post(
            f"{detail}/attachments",
            {"document_type": "property_certificate", "file": SimpleUploadedFile("deed.pdf", PDF)},
            format="multipart",
        )
    return client.get(f"{detail}/attachments/{world.file_a.public_id}")


@pytest.mark.parametrize("user_key", USERS)
def test_permission_matrix(user_key: str):
    world = World()
    client = world.client_for(user_key)
    want = {action: expected(user_key, action) for action in ACTIONS}
    got = {}
    for action in ACTIONS:
        response = perform(client, world, action)
        if action == "download":
            body = None
            if response.status_code == 200:
                assert b"".join(response.streaming_content) == PDF
                assert response["Content-Type"] == "application/pdf"
            else:
                body = response.json()
        else:
            body = response.json() if response.content else None
        code = None
        if response.status_code >= 400:
            assert body["error"]["status"] == response.status_code, (action, body)
            assert body["error"]["message"], (action, body)
            code = body["error"]["code"]
        got[action] = (response.status_code, code)
        if action == "reveal" and response.status_code == 200:
            assert body["private_answers"]["contact_phone"] == world.phone
            continue
        if not (user_key == "customer_a" and action == "retrieve"):
            assert_no_plaintext_answers(body, world)
        if action == "list" and response.status_code == 200:
            assert [row["number"] for row in body["results"]] == world.expected_list(user_key)
        if action == "retrieve" and response.status_code == 200:
            answers = body["private_answers"]
            if user_key == "customer_a":
                assert answers["contact_phone"] == world.phone and body["private_answers_masked"] is False
            else:
                assert answers["contact_phone"] == f"{world.phone[:3]}****{world.phone[-4:]}"
    assert got == want
    # What the refused calls did not do: request A is still submitted, and has exactly the uploads allowed.
    world.request_a.refresh_from_db()
    returned = want["transition"][0] == 200
    assert world.request_a.status == ("returned" if returned else "submitted")
    uploads = RequestAttachment.objects.filter(request=world.request_a).count()
    assert uploads == 1 + (want["upload"][0] == 201)
    filed = ServiceRequest.objects.filter(service_type__code="consultation").count()
    assert filed == 1 + (want["create"][0] == 201)


def assert_no_plaintext_answers(body, world: World) -> None:
    text = json.dumps(body, ensure_ascii=False)
    leaked = [secret for secret in world.secrets if secret in text]
    assert not leaked, f"personal answers in clear in a response: {len(leaked)} value(s)"
    assert "v1:k1:" not in text and "v1:k0:" not in text, "ciphertext in a response"
