"""What schemathesis found under /openadr3/ (issue 13 finding 9): each was a 500 or an HTML page."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from services.models import Ven

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def test_bl_creating_a_ven_in_the_ven_request_form_owns_it(world, vtn, tokens):
    response = vtn.post("/vens", {"objectType": "VEN_VEN_REQUEST", "venName": "bl-own"}, token=tokens["bl"])

    assert response.status_code == 201, response.content
    assert Ven.objects.get(ven_name="bl-own").client_id == world.bl.client_id


def test_bl_creating_a_resource_in_the_ven_request_form_owns_it(world, vtn, tokens):
    body = {"objectType": "VEN_RESOURCE_REQUEST", "resourceName": "bl-site", "venID": str(world.ven_obj_a.pk)}

    response = vtn.post("/resources", body, token=tokens["bl"])

    assert response.status_code == 201, response.content
    assert response.json()["clientID"] == world.bl.client_id


def test_a_token_request_with_an_overlong_client_id_is_refused_not_a_500(world):
    response = Client().post(
        "/openadr3/auth/token",
        data=f"grant_type=client_credentials&client_id={'x' * 100}&client_secret=nope",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code in {400, 401}
    assert json.loads(response.content)["error"] == "invalid_client"


def test_a_nul_in_a_query_parameter_is_a_problem_not_a_page(world, tokens):
    response = Client().get("/openadr3/events", {"targets": "a\x00"}, HTTP_AUTHORIZATION=f"Bearer {tokens['a']}")

    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    problem = json.loads(response.content)
    assert set(problem) <= PROBLEM_KEYS and problem["status"] == 400 and problem["detail"].startswith("targets:")


def test_an_unexpected_exception_is_a_problem(world, tokens, monkeypatch):
    from services.api.openadr import views

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.NotifiersView, "get", boom)
    client = Client(raise_request_exception=False)

    response = client.get("/openadr3/notifiers", HTTP_AUTHORIZATION=f"Bearer {tokens['bl']}")

    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "Internal server error.",
    }
