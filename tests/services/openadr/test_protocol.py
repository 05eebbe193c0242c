"""The VTN through its HTTP interface, every exchange validated against openadr3.yaml (``vtn``): tokens
and their audit, scopes on every path and method, VEN A against VEN B on every object type, programs
and events written by BL onto the demand-response domain, filters and paging."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext

from security.models import AuditEvent
from services.actions.openadr.credentials import revoke_client, rotate_secret
from services.models import DREvent, DRProgram, OadrClient, Subscription, VenReport
from tests.services.openadr.conftest import event_for, tomorrow_at

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def subscription_body(url="https://ven.example.com/hook", **extra):
    body = {
        "clientName": "ven",
        "objectOperations": [{"objects": ["EVENT"], "operations": ["CREATE"], "callbackUrl": url, "bearerToken": "t"}],
    }
    body.update(extra)
    return body


def usage_report(event, resource_name="site-a", *, start=None, values=(1.25, 1.0), name="usage"):
    start = start or event.start
    return {
        "eventID": str(event.pk),
        "clientName": "ven",
        "reportName": name,
        "payloadDescriptors": [{"objectType": "REPORT_PAYLOAD_DESCRIPTOR", "payloadType": "USAGE", "units": "KWH"}],
        "resources": [
            {
                "resourceName": resource_name,
                "intervalPeriod": {"start": start.isoformat(), "duration": "PT15M"},
                "intervals": [
                    {
                        "id": k,
                        "intervalPeriod": {
                            "start": (start + k * (event.end - event.start) / 8).isoformat(),
                            "duration": "PT15M",
                        },
                        "payloads": [{"type": "USAGE", "values": [v]}],
                    }
                    for k, v in enumerate(values)
                ],
            }
        ],
    }


# -- tokens ------------------------------------------------------------------------------------------


def test_auth_server_names_the_token_endpoint(vtn):
    response = vtn.get("/auth/server")
    assert response.json() == {"tokenURL": "http://testserver/openadr3/auth/token"}


def test_a_token_carries_the_roles_scopes_and_is_audited(world, vtn):
    response = vtn.token(world.ven_a.client_id, world.ven_a.secret, expect=200)
    assert response
    granted = AuditEvent.objects.filter(action="openadr.token_granted", actor_label=world.ven_a.client_id).get()
    assert granted.details["scope"].split() == [
        "read_targets",
        "read_ven_objects",
        "write_reports",
        "write_subscriptions",
        "write_vens",
    ]


def test_wrong_secret_unknown_client_and_foreign_scope_are_refused_and_audited(world, vtn):
    assert vtn.token(world.ven_a.client_id, "wrong", expect=401).json()["error"] == "invalid_client"
    assert vtn.token("nobody", "x", expect=401).json()["error"] == "invalid_client"
    # A VEN can never be granted a BL scope.
    refused = vtn.token(world.ven_a.client_id, world.ven_a.secret, scope="write_programs", expect=400)
    assert refused.json()["error"] == "invalid_scope"
    assert AuditEvent.objects.filter(action="openadr.token_refused", outcome="denied").count() == 3


def test_secrets_are_stored_hashed_rotation_and_revocation_end_old_credentials(world, vtn):
    application = world.ven_a.client.application
    assert application.client_secret != world.ven_a.secret and application.client_secret.startswith("md5$")
    token = vtn.token(world.ven_a.client_id, world.ven_a.secret)
    new_secret = rotate_secret(client=world.ven_a.client, user=None, now=world.event_a.created_at)
    assert vtn.get("/events", token=token).status_code == 401  # tokens of the old secret are gone
    vtn.token(world.ven_a.client_id, world.ven_a.secret, expect=401)
    token = vtn.token(world.ven_a.client_id, new_secret)
    revoke_client(client=world.ven_a.client, user=None, now=world.event_a.created_at)
    assert vtn.get("/events", token=token).status_code == 401
    vtn.token(world.ven_a.client_id, new_secret, expect=401)


@override_settings(OPENADR_TOKEN_THROTTLE_PER_MINUTE=2)
def test_token_requests_are_throttled_per_client(world, vtn):
    from django.core.cache import cache

    cache.delete(f"openadr-token:{world.ven_b.client_id}")
    vtn.token(world.ven_b.client_id, world.ven_b.secret)
    vtn.token(world.ven_b.client_id, world.ven_b.secret)
    response = vtn.token(world.ven_b.client_id, world.ven_b.secret, expect=429)
    assert response.json()["status"] == 429


# -- scopes on every path and method -------------------------------------------------------------------

BL_ONLY = [
    ("POST", "/programs", {"programName": "x"}),
    ("PUT", "/programs/{program}", {"programName": "x"}),
    ("DELETE", "/programs/{program}", None),
    ("POST", "/events", {"programID": "{program}"}),
    ("PUT", "/events/{event}", {"programID": "{program}"}),
    ("DELETE", "/events/{event}", None),
    ("GET", "/notifiers", None),
]
EVERY = [
    *BL_ONLY,
    ("GET", "/programs", None),
    ("GET", "/programs/{program}", None),
    ("GET", "/events", None),
    ("GET", "/events/{event}", None),
    ("GET", "/reports", None),
    ("POST", "/reports", {"eventID": "1", "clientName": "x", "resources": []}),
    ("GET", "/subscriptions", None),
    ("POST", "/subscriptions", subscription_body()),
    ("GET", "/vens", None),
    ("POST", "/vens", {"objectType": "VEN_VEN_REQUEST", "venName": "x"}),
    ("GET", "/vens/{ven}", None),
    ("GET", "/resources", None),
    ("GET", "/resources/{resource}", None),
]


def _fill(world, path, body):
    ids = {
        "{program}": str(world.program.pk),
        "{event}": str(world.event_a.pk),
        "{ven}": str(world.ven_obj_a.pk),
        "{resource}": str(world.resource_a.pk),
    }
    for key, value in ids.items():
        path = path.replace(key, value)
        if isinstance(body, dict) and body.get("programID") == key:
            body = {**body, "programID": value}
    return path, body


@pytest.mark.parametrize(("method", "path", "body"), EVERY)
def test_every_operation_needs_a_token(world, vtn, method, path, body):
    path, body = _fill(world, path, body)
    response = vtn.call(method, path, body=body)
    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"


@pytest.mark.parametrize(("method", "path", "body"), BL_ONLY)
def test_a_ven_never_writes_programs_or_events(world, vtn, tokens, method, path, body):
    path, body = _fill(world, path, body)
    response = vtn.call(method, path, token=tokens["a"], body=body)
    assert response.status_code == 403
    assert "requires the scope" in response.json()["detail"]
    assert AuditEvent.objects.filter(action="openadr.refused", actor_label=world.ven_a.client_id).exists()


def test_bl_cannot_write_reports(world, vtn, tokens):
    response = vtn.post("/reports", usage_report(world.event_a), token=tokens["bl"])
    assert response.status_code == 403
    assert response.json()["detail"] == "This operation requires the scope write_reports."


def test_a_token_with_fewer_scopes_gets_only_those(world, vtn):
    token = vtn.token(world.ven_a.client_id, world.ven_a.secret, scope="read_targets")
    assert vtn.get("/events", token=token).status_code == 200
    assert vtn.get("/vens", token=token).status_code == 403
    assert vtn.post("/subscriptions", subscription_body(), token=token).status_code == 403


def test_bl_reads_notifiers_webhook_only(world, vtn, tokens):
    assert vtn.get("/notifiers", token=tokens["bl"]).json() == {"WEBHOOK": True}
    assert vtn.get("/notifiers/mqtt/topics/programs", token=tokens["bl"]).status_code == 404


# -- isolation: VEN A against VEN B --------------------------------------------------------------------


def test_a_ven_reads_only_events_targeted_at_its_resources(world, vtn, tokens):
    events = vtn.get("/events", token=tokens["a"]).json()
    assert [e["id"] for e in events] == [str(world.event_a.pk)]
    assert events[0]["targets"] == [f"account:{world.account_a.number}"]  # only what was granted to A
    assert vtn.get(f"/events/{world.event_b.pk}", token=tokens["a"]).status_code == 404
    assert {e["id"] for e in vtn.get("/events", token=tokens["bl"]).json()} == {
        str(world.event_a.pk),
        str(world.event_b.pk),
    }


def test_requested_targets_narrow_to_what_is_granted(world, vtn, tokens):
    mine = f"account:{world.account_a.number}"
    theirs = f"account:{world.account_b.number}"
    assert len(vtn.get("/events", token=tokens["a"], params={"targets": [mine]}).json()) == 1
    assert vtn.get("/events", token=tokens["a"], params={"targets": [theirs]}).json() == []
    assert [e["id"] for e in vtn.get("/events", token=tokens["bl"], params={"targets": [theirs]}).json()] == [
        str(world.event_b.pk)
    ]


def test_a_ven_sees_programs_its_accounts_are_enrolled_in_only(world, vtn, tokens):
    other = DRProgram.objects.create(
        code="other",
        name="其他",
        kind="shave",
        notice_class="contracted",
        min_notice_minutes=0,
        valid_from=world.program.valid_from,
        baseline_method="similar_working_days",
    )
    assert [p["id"] for p in vtn.get("/programs", token=tokens["a"]).json()] == [str(world.program.pk)]
    assert vtn.get(f"/programs/{other.pk}", token=tokens["a"]).status_code == 404
    assert len(vtn.get("/programs", token=tokens["bl"]).json()) == 2


@pytest.mark.parametrize("kind", ["vens", "resources"])
def test_a_ven_cannot_read_update_or_delete_another_vens_objects(world, vtn, tokens, kind):
    if kind == "vens":
        own, foreign = world.ven_obj_a, world.ven_obj_b
        body = {"objectType": "VEN_VEN_REQUEST", "venName": "renamed"}
    else:
        own, foreign = world.resource_a, world.resource_b
        body = {"objectType": "VEN_RESOURCE_REQUEST", "resourceName": "renamed", "venID": str(world.ven_obj_b.pk)}
    listed = vtn.get(f"/{kind}", token=tokens["a"]).json()
    assert [o["id"] for o in listed] == [str(own.pk)]
    assert vtn.get(f"/{kind}/{foreign.pk}", token=tokens["a"]).status_code == 404
    assert vtn.put(f"/{kind}/{foreign.pk}", body, token=tokens["a"]).status_code == 404
    assert vtn.delete(f"/{kind}/{foreign.pk}", token=tokens["a"]).status_code == 404
    foreign.refresh_from_db()
    assert "renamed" not in str(foreign)


def test_a_ven_cannot_touch_another_vens_reports_or_subscriptions(world, vtn, tokens):
    report = vtn.post("/reports", usage_report(world.event_b, "site-b"), token=tokens["b"])
    assert report.status_code == 201, report.content
    subscription = vtn.post("/subscriptions", subscription_body(), token=tokens["b"])
    assert subscription.status_code == 201, subscription.content
    for path, body in (
        (f"/reports/{report.json()['id']}", usage_report(world.event_b, "site-b")),
        (f"/subscriptions/{subscription.json()['id']}", subscription_body()),
    ):
        assert vtn.get(path, token=tokens["a"]).status_code == 404
        assert vtn.put(path, body, token=tokens["a"]).status_code == 404
        assert vtn.delete(path, token=tokens["a"]).status_code == 404
    assert vtn.get("/reports", token=tokens["a"]).json() == []
    assert vtn.get("/subscriptions", token=tokens["a"]).json() == []
    assert len(vtn.get("/reports", token=tokens["bl"]).json()) == 1  # BL reads everything
    # VEN A cannot report on B's event, nor on B's resource under its own event.
    assert vtn.post("/reports", usage_report(world.event_b, "site-b"), token=tokens["a"]).status_code == 400
    assert vtn.post("/reports", usage_report(world.event_a, "site-b"), token=tokens["a"]).status_code == 400
    assert VenReport.objects.count() == 1 and Subscription.objects.count() == 1


def test_a_ven_cannot_grant_itself_targets(world, vtn, tokens):
    body = {"objectType": "BL_VEN_REQUEST", "clientID": world.ven_a.client_id, "venName": "x", "targets": ["all"]}
    assert vtn.post("/vens", body, token=tokens["a"]).status_code == 403
    body = {"objectType": "VEN_VEN_REQUEST", "venName": "mine-too"}
    created = vtn.post("/vens", body, token=tokens["a"])
    assert created.status_code == 201
    assert created.json()["clientID"] == world.ven_a.client_id and created.json()["targets"] == []


# -- BL writes onto the demand-response domain ----------------------------------------------------------


def test_bl_creates_updates_and_deletes_a_program(world, vtn, tokens):
    body = {
        "programName": "BL-Peak",
        "intervalPeriod": {"start": tomorrow_at(0).isoformat(), "duration": "P30D"},
        "attributes": [{"type": "DR_KIND", "values": ["fill"]}],
        "targets": ["group-1"],
    }
    created = vtn.post("/programs", body, token=tokens["bl"])
    assert created.status_code == 201, created.content
    program = DRProgram.objects.get(pk=created.json()["id"])
    assert (program.kind, program.valid_from, (program.valid_to - program.valid_from).days) == (
        "fill",
        tomorrow_at(0).date(),
        30,
    )
    assert vtn.post("/programs", body, token=tokens["bl"]).status_code == 409  # programName is unique
    renamed = vtn.put(f"/programs/{program.pk}", {**body, "programName": "BL-Peak-2"}, token=tokens["bl"])
    assert renamed.json()["programName"] == "BL-Peak-2"
    assert vtn.delete(f"/programs/{program.pk}", token=tokens["bl"]).json()["programName"] == "BL-Peak-2"
    assert not DRProgram.objects.filter(pk=program.pk).exists()
    # A program with events or enrolments stays (400: the spec's DELETE declares no 409).
    assert vtn.delete(f"/programs/{world.program.pk}", token=tokens["bl"]).status_code == 400


def test_bl_publishes_an_event_through_the_domain_rules(world, vtn, tokens):
    body = {
        "programID": str(world.program.pk),
        "eventName": "BL shave",
        "targets": [f"account:{world.account_a.number}"],
        "intervalPeriod": {"start": tomorrow_at(10).isoformat(), "duration": "PT1H"},
        "intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [2]}]}],
    }
    created = vtn.post("/events", body, token=tokens["bl"])
    assert created.status_code == 201, created.content
    event = DREvent.objects.get(pk=created.json()["id"])
    assert event.status == DREvent.Status.SCHEDULED  # published = dispatched
    assert list(event.participations.values_list("account_id", flat=True)) == [world.account_a.pk]
    assert event.requested_kw == 5  # what the targeted enrolments committed
    seen = vtn.get(f"/events/{event.pk}", token=tokens["a"]).json()
    assert seen["intervals"] == body["intervals"] and seen["intervalPeriod"]["duration"] == "PT60M"
    assert vtn.get(f"/events/{event.pk}", token=tokens["b"]).status_code == 404
    # Off the quarter hour: the domain's rule, as a 400 with its reason.
    off = {**body, "intervalPeriod": {"start": tomorrow_at(10, 7).isoformat(), "duration": "PT1H"}}
    refused = vtn.post("/events", off, token=tokens["bl"])
    with translation.override("zh-hans"):  # the problem's detail is in the VTN's language (zh-hans)
        quarter_hour = gettext("Start and end must fall on a quarter hour (:00, :15, :30, :45).")
    assert refused.status_code == 400 and quarter_hour in refused.json()["detail"]
    # Delete = cancel; then gone for everyone.
    assert vtn.delete(f"/events/{event.pk}", token=tokens["bl"]).status_code == 200
    event.refresh_from_db()
    assert event.status == DREvent.Status.CANCELLED
    assert vtn.get(f"/events/{event.pk}", token=tokens["bl"]).status_code == 404


def test_event_for_an_unknown_program_or_without_window_is_a_400(world, vtn, tokens):
    assert vtn.post("/events", {"programID": "999999"}, token=tokens["bl"]).status_code == 400
    response = vtn.post("/events", {"programID": str(world.program.pk)}, token=tokens["bl"])
    assert response.status_code == 400 and "intervalPeriod.start" in response.json()["detail"]


# -- filters and paging --------------------------------------------------------------------------------


def test_skip_limit_and_program_filter(world, vtn, tokens):
    assert len(vtn.get("/events", token=tokens["bl"], params={"limit": 1}).json()) == 1
    assert len(vtn.get("/events", token=tokens["bl"], params={"skip": 1}).json()) == 1
    assert vtn.get("/events", token=tokens["bl"], params={"programID": "0"}).json() == []
    assert len(vtn.get("/events", token=tokens["bl"], params={"programID": str(world.program.pk)}).json()) == 2
    too_many = vtn.get("/events", token=tokens["bl"], params={"limit": 51}, check=False)
    assert too_many.status_code == 400 and too_many.json()["status"] == 400


def test_unknown_ids_are_404_problems(world, vtn, tokens):
    for path in ("/programs/abc", "/events/0", "/reports/0", "/subscriptions/0", "/vens/0", "/resources/0"):
        response = vtn.get(path, token=tokens["bl"])
        assert response.status_code == 404 and response.json()["title"] == "Not Found"


# -- subscriptions ------------------------------------------------------------------------------------


@override_settings(OPENADR_WEBHOOK_ALLOW_PRIVATE=False)
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://10.0.0.5/hook",
        "http://[::1]/hook",
        "file:///etc/passwd",
        "http://localhost/x",
    ],
)
def test_a_callback_url_that_can_never_be_called_is_refused(world, vtn, tokens, url):
    response = vtn.post("/subscriptions", subscription_body(url), token=tokens["a"])
    assert response.status_code == 400


def test_subscriptions_filter_by_objects_and_client_name(world, vtn, tokens):
    vtn.post("/subscriptions", subscription_body(), token=tokens["a"])
    assert len(vtn.get("/subscriptions", token=tokens["a"], params={"objects": ["EVENT"]}).json()) == 1
    assert vtn.get("/subscriptions", token=tokens["a"], params={"objects": ["REPORT"]}).json() == []
    assert vtn.get("/subscriptions", token=tokens["a"], params={"clientName": "other"}).json() == []


def test_client_roles_are_staff_created(world):
    assert set(OadrClient.objects.values_list("role", flat=True)) == {"bl", "ven"}


def test_listing_events_costs_the_same_queries_for_one_or_many(world, vtn, tokens):
    with CaptureQueriesContext(connection) as one:
        assert len(vtn.get("/events", token=tokens["a"]).json()) == 1
    for hour in (8, 10, 12):
        event_for(world.program, world.account_a, name=f"more {hour}", hour=hour)
    with CaptureQueriesContext(connection) as four:
        assert len(vtn.get("/events", token=tokens["a"]).json()) == 4
    assert len(four) == len(one)


def test_api_calls_are_throttled_per_client(world, vtn, tokens):
    from django.core.cache import cache

    cache.clear()
    with override_settings(OPENADR_THROTTLE_PER_MINUTE=2):
        assert vtn.get("/events", token=tokens["a"]).status_code == 200
        assert vtn.get("/events", token=tokens["a"]).status_code == 200
        throttled = vtn.get("/events", token=tokens["a"])
        assert throttled.status_code == 429 and throttled["Retry-After"]
        assert vtn.get("/events", token=tokens["b"]).status_code == 200  # another client is not held back


def test_an_unknown_path_is_a_404_problem(vtn):
    response = vtn.client.get("/openadr3/nothing-here")
    assert response.status_code == 404
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No such OpenADR path.",
    }
