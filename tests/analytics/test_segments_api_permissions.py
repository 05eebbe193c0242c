"""Who may read GET /api/v1/segments and GET /api/v1/accounts/{number}/segment, for every kind of user.

Expected answers written out from the role grants (analytics/migrations/0003_segments_permissions.py)
and the rules in analytics/api/segments.py, not derived from the code under test:

- anonymous: 403 ``not_authenticated`` on both;
- /segments: staff and integrators holding analytics.view_segmentationrun — the marketing analyst and
  the system administrator; everyone else 403, portal customers included;
- /accounts/{number}/segment: the analyst and the system administrator for any account; a portal
  customer for an account bound to them, and 404 for anyone else's (never telling it exists);
  other roles and the integrator 403;
- both are read-only: POST is a 405 for a user who may read.
"""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from analytics.services.segments import run_segmentation
from security import roles
from tests.factories import SHANGHAI, bind, make_portal_user, make_staff
from tests.segments_data import WINDOW, plant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

GRANTS = importlib.import_module("analytics.migrations.0003_segments_permissions").GRANTS
READERS = {roles.MARKETING_ANALYST, roles.SYSTEM_ADMINISTRATOR}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def world():
    planted = plant(per_shape=4)
    for day_type, k in (("weekday", 3), ("weekend", 2)):
        run_segmentation(
            window_start=WINDOW[0],
            window_end=WINDOW[1],
            day_type=day_type,
            as_of=dt.datetime(2026, 10, 20, tzinfo=SHANGHAI),
            k=k,
        )
    mine, theirs = planted.accounts["evening"][0], planted.accounts["flat"][0]
    customer = make_portal_user()
    bind(user=customer, account=mine)
    return {"mine": mine, "theirs": theirs, "customer": customer}


def _client(world, user_key: str) -> APIClient:
    client = APIClient()
    if user_key == "customer":
        client.force_login(world["customer"])
    elif user_key == "integrator":
        user = get_user_model().objects.create_user(username="crm-integrator", kind="integrator")
        user.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label="customers", codename__in=["view_account", "view_customer"]
            )
        )
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    elif user_key != "anonymous":
        client.force_login(make_staff(role=user_key))
    return client


def test_the_role_table_here_matches_the_migration():
    assert {role for role, perms in GRANTS.items() if "analytics.view_segmentationrun" in perms} == READERS
    assert {role for role, perms in GRANTS.items() if "analytics.view_accountsegment" in perms} == READERS


@pytest.mark.parametrize("user_key", ["anonymous", "customer", *roles.ALL_ROLES, "integrator"])
def test_segments_list(world, user_key):
    response = _client(world, user_key).get("/api/v1/segments")
    if user_key in READERS:
        assert response.status_code == 200
        runs = response.json()["results"]
        assert [r["day_type"] for r in runs] == ["weekday", "weekend"]
        assert [r["k"] for r in runs] == [3, 2]
        weekday = runs[0]
        assert {s["label"] for s in weekday["segments"]} == {"evening peak", "daytime", "flat / three-shift"}
        assert all(len(s["centroid"]) == 24 and s["size"] == 4 for s in weekday["segments"])
        assert world["mine"].number not in response.content.decode()  # aggregates only, no account data
    else:
        assert response.status_code == 403
        expected = "not_authenticated" if user_key == "anonymous" else "permission_denied"
        assert response.json()["error"]["code"] == expected


@pytest.mark.parametrize("user_key", ["anonymous", "customer", *roles.ALL_ROLES, "integrator"])
def test_account_segment(world, user_key):
    client = _client(world, user_key)
    response = client.get(f"/api/v1/accounts/{world['mine'].number}/segment")
    other = client.get(f"/api/v1/accounts/{world['theirs'].number}/segment")
    if user_key in READERS or user_key == "customer":
        assert response.status_code == 200
        body = response.json()
        assert [(m["day_type"], m["label"]) for m in body] == [
            ("weekday", "evening peak"),
            ("weekend", body[1]["label"]),
        ]
        assert body[0]["shape"] == "evening_peak" and body[0]["distance"] >= 0
        if user_key == "customer":
            assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
        else:
            assert other.status_code == 200 and other.json()[0]["shape"] == "flat"
    else:
        assert response.status_code == other.status_code == 403


def test_bad_input_is_a_400_and_an_unknown_account_a_404(world):
    client = _client(world, roles.MARKETING_ANALYST)
    response = client.get("/api/v1/segments", {"day_type": "holiday"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid" and "day_type" in response.json()["error"]["fields"]
    assert [r["day_type"] for r in client.get("/api/v1/segments", {"day_type": "weekend"}).json()["results"]] == [
        "weekend"
    ]
    assert client.get("/api/v1/accounts/3399999999/segment").status_code == 404


def test_the_endpoints_are_read_only(world):
    for user_key in (roles.MARKETING_ANALYST, "customer"):
        client = _client(world, user_key)
        assert client.post(f"/api/v1/accounts/{world['mine'].number}/segment", {}).status_code == 405
    assert _client(world, roles.MARKETING_ANALYST).post("/api/v1/segments", {}).status_code == 405


def test_schema_lists_the_segment_endpoints(schema):
    paths = schema["paths"]
    assert set(paths["/api/v1/segments"]) == {"get"}
    assert set(paths["/api/v1/accounts/{number}/segment"]) == {"get"}
    parameters = {p["name"] for p in paths["/api/v1/segments"]["get"]["parameters"]}
    assert "day_type" in parameters
