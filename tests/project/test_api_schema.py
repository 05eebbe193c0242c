"""OpenAPI 3 schema of /api/v1/ (drf-spectacular): served, complete, valid and warning-free."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from rest_framework.test import APIClient

EXPECTED_OPERATIONS = {
    "/api/v1/customers": {"get", "post"},
    "/api/v1/customers/{public_id}": {"get", "put", "patch"},
    "/api/v1/customers/{public_id}/reveal": {"post"},
    "/api/v1/accounts": {"get", "post"},
    "/api/v1/accounts/{number}": {"get", "put", "patch"},
    "/api/v1/transformer-areas": {"get"},
    "/api/v1/transformer-areas/{code}": {"get"},
    "/api/v1/feeders": {"get"},
    "/api/v1/feeders/{code}": {"get"},
    "/api/v1/interactions": {"get", "post"},
    "/api/v1/interactions/{id}": {"get"},
    "/api/v1/outage-notices": {"get", "post"},
    "/api/v1/outage-notices/{id}": {"get"},
    "/api/v1/outage-notices/{id}/publish": {"post"},
    "/api/v1/outage-notices/{id}/restore": {"post"},
    "/api/v1/notifications": {"get"},
    "/api/v1/notifications/{id}": {"get"},
    "/api/v1/notifications/{id}/read": {"post"},
    "/api/v1/notifications/read-all": {"post"},
    "/api/v1/articles": {"get"},
    "/api/v1/articles/{id}": {"get"},
    "/api/v1/forecast-scopes": {"get"},
    "/api/v1/forecast-scopes/{id}": {"get"},
    "/api/v1/forecast-models": {"get"},
    "/api/v1/forecast-models/{id}": {"get"},
    "/api/v1/forecasts": {"get"},
    "/api/v1/forecasts/{id}": {"get"},
    "/api/v1/weather": {"get", "post"},
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_lists_every_customer_records_operation(schema):
    paths = schema["paths"]
    for path, methods in EXPECTED_OPERATIONS.items():
        assert path in paths, path
        assert set(paths[path]) & HTTP_METHODS == methods, path


def test_schema_never_offers_plaintext_personal_data_in_responses(schema):
    components = schema["components"]["schemas"]
    customer = components["Customer"]["properties"]
    account = components["Account"]["properties"]

    assert {"id_number_masked", "phone_masked", "email_masked", "address_masked"} <= set(customer)
    assert not {"id_number", "phone", "email", "address"} & set(customer)
    assert "premise_address" not in account and "premise_address_masked" in account
    assert {"id_number", "phone"} <= set(components["CustomerRequest"]["properties"])
    reveal = schema["paths"]["/api/v1/customers/{public_id}/reveal"]["post"]
    assert "requestBody" not in reveal
    assert reveal["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/RevealedCustomerPII")


def test_schema_documents_filters_and_token_auth(schema):
    names = {p["name"] for p in schema["paths"]["/api/v1/customers"]["get"]["parameters"]}

    assert {"id_number", "phone", "email", "account_number", "name", "kind", "tag", "ordering", "page"} <= names
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_spectacular_validate_fail_on_warn_passes(tmp_path: Path):
    # A separate process: drf-spectacular counts warnings process-wide, so earlier schema builds in this
    # test run must not count (or hide) anything.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "marketing_portal.settings.test"}
    out = tmp_path / "schema.yaml"
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(out)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "Warning" not in result.stderr and "Error" not in result.stderr, result.stderr[-3000:]
    assert set(EXPECTED_OPERATIONS) <= set(yaml.safe_load(out.read_text())["paths"])


def test_schema_documents_the_notice_notification_and_article_filters(schema):
    def names(path: str) -> set[str]:
        return {p["name"] for p in schema["paths"][path]["get"]["parameters"]}

    assert {"current", "status", "kind"} <= names("/api/v1/outage-notices")
    assert {"unread", "kind"} <= names("/api/v1/notifications")
    assert {"q", "category", "kind", "language"} <= names("/api/v1/articles")
    assert "ArticleCategoryEnum" in schema["components"]["schemas"]
    assert schema["components"]["schemas"]["CategoryEnum"]["enum"][0] == "residential"  # accounts keep theirs


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_in_production_only_for_staff_and_integrators(url, settings):
    # Finding 12: production sets API_SCHEMA_PUBLIC = False; anonymous callers and portal customers
    # get no map of the API, staff and signed-in integrators (e.g. the AMI head-end) do.
    from security import roles
    from tests.factories import make_portal_user, make_staff

    settings.API_SCHEMA_PUBLIC = False
    assert APIClient().get(url).status_code in (401, 403)
    customer = APIClient()
    customer.force_authenticate(make_portal_user())
    assert customer.get(url).status_code == 403
    staff = APIClient()
    staff.force_authenticate(make_staff(role=roles.BILLING_CLERK))
    assert staff.get(url).status_code == 200
    from security.models import User

    integrator = User.objects.create_user(username="ami-headend", password="x-Secret-123", kind=User.Kind.INTEGRATOR)
    client = APIClient()
    client.force_authenticate(integrator)
    assert client.get(url).status_code == 200


def test_production_settings_close_the_schema():
    source = (Path(settings.BASE_DIR) / "marketing_portal" / "settings" / "production.py").read_text()
    assert "API_SCHEMA_PUBLIC = False" in source


def _error_ref(operation: dict, status: str) -> str | None:
    response = operation["responses"].get(status)
    return response and response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")


def test_every_operation_documents_its_errors_in_the_one_error_shape(schema):
    """Issue 13 finding 9: every status the API can answer is in the schema, each with the ApiError body."""
    error = schema["components"]["schemas"]["ApiError"]
    assert error["required"] == ["error"]
    assert set(schema["components"]["schemas"]["ApiErrorDetail"]["properties"]) == {
        "status",
        "code",
        "message",
        "fields",
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            expected = {"400", "403", "406", "500"}
            if "{" in path:
                expected.add("404")
            if method in {"post", "put", "patch"}:
                expected.add("415")
            for status in expected:
                assert _error_ref(operation, status) == "#/components/schemas/ApiError", (method, path, status)


def test_idempotent_creates_document_their_conflicts_and_throttled_lists_their_429(schema):
    payments = schema["paths"]["/api/v1/payments"]["post"]
    articles = schema["paths"]["/api/v1/articles"]["get"]
    customers = schema["paths"]["/api/v1/customers"]["get"]

    assert {"201", "409", "422"} <= set(payments["responses"])
    assert _error_ref(payments, "422") == "#/components/schemas/ApiError"
    assert "429" in articles["responses"] and "429" not in customers["responses"]


def test_a_description_a_view_gave_for_an_error_status_is_kept(schema):
    transition = schema["paths"]["/api/v1/service-requests/{number}/transitions"]["post"]["responses"]

    assert transition["409"]["description"].startswith("Refused: not possible in the request's current state")
    assert transition["409"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ApiError"
