"""The demand-response API: customers see only their own accounts' events, participations and
settlements (others' are 404), answer invitations idempotently (a repeat records nothing; a late
answer is the service's refusal), read the statement (figures = the DRSettlement row); staff read by
permission; the schema lists every endpoint with its error responses."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from core import clock
from services.models import DRSettlement
from tests.factories import bind, make_account, make_portal_user
from tests.services.dr_helpers import (
    EVENT_DAY,
    at,
    enrolled_household,
    make_program,
    settled_event,
    upcoming_invitation,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def pinned(monkeypatch):
    def pin(moment: dt.datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    return pin


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_customers_see_only_their_own_and_answer_idempotently(pinned):
    program = make_program()
    account, _meter, user, _enrolment = enrolled_household(program)
    event, participation = upcoming_invitation(program, account)
    stranger = make_portal_user()
    bind(user=stranger, account=make_account())
    pinned(at(dt.date(2026, 8, 11), 18))
    mine, theirs = _client(user), _client(stranger)

    assert [p["code"] for p in mine.get("/api/v1/dr-programs").json()["results"]] == ["res-day-ahead"]
    assert [e["id"] for e in mine.get("/api/v1/dr-events").json()["results"]] == [event.pk]
    assert theirs.get("/api/v1/dr-events").json()["count"] == 0
    assert theirs.get(f"/api/v1/dr-events/{event.pk}").status_code == 404
    listed = mine.get("/api/v1/dr-participations").json()["results"]
    assert [(p["id"], p["account_number"], p["response"]) for p in listed] == [
        (participation.pk, account.number, "opted_out")
    ]
    assert theirs.get("/api/v1/dr-participations").json()["count"] == 0
    assert theirs.post(f"/api/v1/dr-participations/{participation.pk}/opt-in").status_code == 404

    first = mine.post(f"/api/v1/dr-participations/{participation.pk}/opt-in")
    again = mine.post(f"/api/v1/dr-participations/{participation.pk}/opt-in")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and first.json()["response"] == "opted_in"
    assert list(participation.changes.values_list("response", "channel")) == [
        ("opted_out", "default"),
        ("opted_in", "api"),
    ]

    pinned(at(EVENT_DAY, 10, 30))
    late = mine.post(f"/api/v1/dr-participations/{participation.pk}/opt-out", HTTP_ACCEPT_LANGUAGE="en")
    assert late.status_code == 400
    assert "Answers to this event closed at 2026-08-12 10:00." in str(late.json())


def test_statement_figures_and_staff_reads_by_permission(pinned):
    program = make_program()
    account, _meter, user, _enrolment = enrolled_household(program)
    event, participation = settled_event(program, account, user)
    settlement = DRSettlement.objects.get(participation=participation)
    stranger = make_portal_user()
    bind(user=stranger, account=make_account())
    pinned(at(dt.date(2026, 8, 14), 9))

    rows = _client(user).get("/api/v1/dr-settlements", {"event": event.pk}).json()["results"]
    assert [(r["id"], r["net"], r["verified_kwh"], r["ratio"]) for r in rows] == [
        (settlement.pk, "6.24", "4.160", "0.8320")
    ]
    sheet = _client(user).get(f"/api/v1/dr-settlements/{settlement.pk}/statement").json()
    assert sheet["settlement"]["net"] == str(settlement.net) and sheet["gross"] == "6.24"
    assert sheet["days_used"] == settlement.detail["days_used"]
    assert [i["baseline_kw"] for i in sheet["intervals"]] == ["3.080"] * 8
    assert [i["response_kw"] for i in sheet["intervals"]] == ["2.080"] * 8
    assert {d["code"] for d in sheet["days_skipped"]} >= {"non_working"}
    assert [(e["amount"], e["posting_key"]) for e in sheet["ledger_entries"]] == [
        ("-6.24", f"dr:{event.pk}:{account.pk}:r1")
    ]
    assert sheet["bill_id"] is None
    assert _client(stranger).get(f"/api/v1/dr-settlements/{settlement.pk}/statement").status_code == 404
    assert _client(stranger).get("/api/v1/dr-settlements").json()["count"] == 0

    from django.contrib.auth import get_user_model

    from tests.support.permissions import grant

    reader = get_user_model().objects.create_user(username="dr-reader", password="x-Reader-1", kind="staff")
    assert _client(reader).get("/api/v1/dr-settlements").status_code == 403
    reader = grant(reader, "services.view_drsettlement")
    assert _client(reader).get("/api/v1/dr-settlements").json()["count"] == 1
    assert _client(reader).post(f"/api/v1/dr-participations/{participation.pk}/opt-out").status_code == 403


def test_schema_lists_the_demand_response_endpoints(db):
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    expected = {
        "/api/v1/dr-programs": {"get"},
        "/api/v1/dr-programs/{id}": {"get"},
        "/api/v1/dr-events": {"get"},
        "/api/v1/dr-events/{id}": {"get"},
        "/api/v1/dr-participations": {"get"},
        "/api/v1/dr-participations/{id}": {"get"},
        "/api/v1/dr-participations/{id}/opt-in": {"post"},
        "/api/v1/dr-participations/{id}/opt-out": {"post"},
        "/api/v1/dr-settlements": {"get"},
        "/api/v1/dr-settlements/{id}": {"get"},
        "/api/v1/dr-settlements/{id}/statement": {"get"},
    }
    for path, methods in expected.items():
        assert set(schema["paths"][path]) & {"get", "post", "put", "patch", "delete"} == methods, path
    opt_in = schema["paths"]["/api/v1/dr-participations/{id}/opt-in"]["post"]["responses"]
    assert {"200", "400", "403", "404"} <= set(opt_in)
    statement = schema["components"]["schemas"]["DRStatement"]["properties"]
    assert {"intervals", "days_used", "days_skipped", "ledger_entries", "bill_id"} <= set(statement)
