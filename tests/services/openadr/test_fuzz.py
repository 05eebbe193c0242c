"""Schemathesis against the OpenADR 3.1.0 VTN with the vendored openadr3.yaml (errata corrected as in
conftest.spec_dict), in-process, as the BL and as VEN A with their OAuth client-credentials tokens:
no 5xx, and every answer the spec documents has a documented status and a conforming body. Statuses
the spec leaves out for an operation (conftest.UNDECLARED_STATUSES: 401, 403, 429) must still be the
problem object.

Bounded like tests/project/test_api_fuzz.py: ``FUZZ_EXAMPLES`` examples per operation and caller
(default 3, deterministic); raise it for a long local run.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.project.test_api_fuzz import _TestWSGIHandler
from tests.services.openadr.conftest import UNDECLARED_STATUSES, spec_dict

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
CALLERS = ("bl", "a")  # conftest.tokens: the BL client and VEN A
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
REQUESTS_SENT: collections.Counter[str] = collections.Counter()

CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "generation": {
            "max-examples": FUZZ_EXAMPLES,
            "mode": "all",
            "deterministic": "FUZZ_EXAMPLES" not in os.environ,
            # The token is ours (conftest.tokens); generated Authorization headers would replace it.
            "with-security-parameters": False,
        },
    }
)


def _json_values(value):
    """YAML reads the spec's example date-times as datetime objects; in JSON (and for schemathesis) they
    are the RFC 3339 strings the YAML wrote."""
    if isinstance(value, dict):
        return {key: _json_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_values(item) for item in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat().replace("+00:00", "Z")
    return value


schema = schemathesis.openapi.from_dict(_json_values(spec_dict(server="http://localhost/openadr3")), config=CONFIG)
schema.app = _TestWSGIHandler()


@pytest.fixture(scope="module", autouse=True)
def _report_figures(request):
    yield
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        sent = ", ".join(f"{caller} {REQUESTS_SENT[caller]}" for caller in CALLERS)
        print(f"\nschemathesis (OpenADR): FUZZ_EXAMPLES={FUZZ_EXAMPLES}; requests sent: {sent}")


@pytest.mark.parametrize("caller", CALLERS)
@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_vtn_answers_every_request_within_the_spec(case, caller, tokens):
    headers = {**(case.headers or {}), "Authorization": f"Bearer {tokens[caller]}"}
    response = case.call(headers=headers)
    REQUESTS_SENT[caller] += 1
    if response.status_code in UNDECLARED_STATUSES and str(
        response.status_code
    ) not in case.operation.definition.raw.get("responses", {}):
        problem = json.loads(response.content)
        assert set(problem) <= {"type", "title", "status", "detail", "instance"}
        assert problem["status"] == response.status_code and isinstance(problem["detail"], str)
        case.validate_response(response, checks=[not_a_server_error], headers=headers)
        return
    case.validate_response(response, checks=CHECKS, headers=headers)
