"""Schemathesis against /api/v1/'s own OpenAPI schema, in-process (Django's WSGI handler, the test
database), as four callers: anonymous, a customer with a bound account, a staff user in a role group
and an integrator holding a DRF token. Valid and invalid requests alike must never be a 5xx, and every
answer — errors included — must have a status code the schema documents and a body matching its schema.

Bounded for CI: ``FUZZ_EXAMPLES`` examples per operation and caller (default 3, about 40 s for the
module, the same examples each run); a long local run raises it and draws new ones, e.g.
``FUZZ_EXAMPLES=100``.
"""

from __future__ import annotations

import collections
import os

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from security import roles
from tests.factories import bind, make_account, make_meter, make_portal_user, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
ROLES = ("anonymous", "customer", "staff", "integrator")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
INTEGRATOR_GROUP = "integration_meter_head_end"  # billing/migrations/0003: pushes meter data, reads it back
REQUESTS_SENT: collections.Counter[str] = collections.Counter()


class _TestWSGIHandler(WSGIHandler):
    """Django's WSGI handler without closing the database connection at the end of each request, so
    every request runs inside the test's transaction (what django.test.Client does too)."""

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return super().__call__(environ, start_response)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


def _raw_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        # CI (no FUZZ_EXAMPLES): the same examples every run, so a red build is a change, not luck;
        # a long local run explores afresh.
        "generation": {
            "max-examples": FUZZ_EXAMPLES,
            "mode": "all",
            "deterministic": "FUZZ_EXAMPLES" not in os.environ,
        },
    }
)
schema = schemathesis.openapi.from_dict(_raw_schema(), config=CONFIG)
schema.app = _TestWSGIHandler()


def _session_headers(user) -> dict[str, str]:
    """A signed-in browser: session cookie plus the CSRF cookie and header DRF's SessionAuthentication wants."""
    client = Client()
    client.force_login(user)
    csrf = "f" * 32
    return {"Cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={csrf}", "X-CSRFToken": csrf}


@pytest.fixture
def caller(role, db) -> dict[str, str]:
    """Request headers for the caller; only that caller's user is created (the module runs per test).
    One customer with an account and a meter exists for every caller, so lists answer with rows."""
    account = make_account()
    make_meter(account=account)
    if role == "customer":
        customer = make_portal_user()
        bind(user=customer, account=account)
        return _session_headers(customer)
    if role == "staff":
        return _session_headers(make_staff(role=roles.SYSTEM_ADMINISTRATOR))
    if role == "integrator":
        integrator = get_user_model().objects.create_user(username="fuzz-headend", kind="integrator")
        integrator.groups.add(Group.objects.get(name=INTEGRATOR_GROUP))
        return {"Authorization": f"Token {Token.objects.create(user=integrator).key}"}
    return {}


@pytest.fixture(scope="module", autouse=True)
def _report_figures(request):
    """The figures docs/security.md quotes: requests sent per caller (failures fail the test)."""
    yield
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        sent = ", ".join(f"{role} {REQUESTS_SENT[role]}" for role in ROLES)
        print(f"\nschemathesis: FUZZ_EXAMPLES={FUZZ_EXAMPLES}; requests sent: {sent}")


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_api_answers_every_request_within_its_schema(case, role, caller):
    headers = {**(case.headers or {}), **caller}
    response = case.call(headers=headers)
    REQUESTS_SENT[role] += 1
    case.validate_response(response, checks=CHECKS, headers=headers)
