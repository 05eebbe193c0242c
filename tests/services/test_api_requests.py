"""/api/v1/service-types and /api/v1/service-requests: catalogue content, filing (field errors, idempotency),
the workflow through the API (refusals mapped to status + code), rating, personal answers (clear for the
applicant, masked for staff, audited reveal), attachments (content checks, download, other customers' files)
and filters.

Expected values are written out from services/catalogue.py and the mainland calendar, not read back from
the code under test.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient

from security import roles
from security.models import AuditEvent
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

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
# Roles that work requests and so read them; the analyst and the auditor do not.
REQUEST_VIEWERS = (
    roles.CUSTOMER_SERVICE_AGENT,
    roles.BILLING_CLERK,
    roles.FIELD_ENGINEER,
    roles.SYSTEM_ADMINISTRATOR,
)


@pytest.fixture(autouse=True)
def request_view_grants(db):
    """services.view_servicerequest for exactly the working roles (no grant migration for it exists yet)."""
    permission = Permission.objects.get(content_type__app_label="services", codename="view_servicerequest")
    for role in roles.ALL_ROLES:
        group = Group.objects.get(name=role)
        if role in REQUEST_VIEWERS:
            group.permissions.add(permission)
        else:
            group.permissions.remove(permission)


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT


def client_for(user, *, language: str = "en") -> APIClient:
    # English: the catalogue's source strings, whatever translations exist today.
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def error(response) -> dict:
    body = response.json()
    assert body["error"]["status"] == response.status_code
    return body["error"]


class People:
    def __init__(self):
        self.area = make_area(code="A-SR-1")
        self.other_area = make_area(code="A-SR-2")
        self.acc_a = make_account(area=self.area)
        self.acc_b = make_account(area=self.other_area)
        self.customer_a = make_portal_user()
        bind(user=self.customer_a, account=self.acc_a)
        self.customer_b = make_portal_user()
        bind(user=self.customer_b, account=self.acc_b)
        self.agent = make_staff(role=roles.CUSTOMER_SERVICE_AGENT)
        self.clerk = make_staff(role=roles.BILLING_CLERK)
        self.engineer = make_staff(role=roles.FIELD_ENGINEER)


@pytest.fixture
def people() -> People:
    return People()


def new_connection_form(*, phone: str, id_number: str | None = None) -> dict:
    return {
        "applicant_name": "王小明",
        "applicant_id_number": id_number or make_id_number(),
        "contact_phone": phone,
        "site_address": "浙江省杭州市西湖区文三路100号2幢301室",
        "category": "residential",
        "voltage_level": "220V",
        "requested_kva": "8",
    }


def file_new_connection(people: People, *, phone: str | None = None, id_number: str | None = None) -> dict:
    form = new_connection_form(phone=phone or make_phone(), id_number=id_number)
    response = client_for(people.customer_a).post(
        "/api/v1/service-requests",
        {"service_type": "res_new_connection", "form": form},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def upload(client: APIClient, number: str, *, document_type: str, name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/api/v1/service-requests/{number}/attachments",
        {"document_type": document_type, "file": SimpleUploadedFile(name, data, content_type="application/pdf")},
        format="multipart",
    )


# --- catalogue ---------------------------------------------------------------------------------------


def test_catalogue_lists_the_fourteen_types_with_forms_documents_steps_and_roles(people):
    client = client_for(people.customer_a)

    listed = client.get("/api/v1/service-types", {"page_size": 100}).json()
    hv = client.get("/api/v1/service-types/hv_new_connection").json()
    residential = client.get("/api/v1/service-types/res_new_connection").json()

    assert listed["count"] == 14  # the customers' catalogue: the staff-only site inspection is not offered
    assert "inspection" not in {row["code"] for row in listed["results"]}
    assert client.get("/api/v1/service-types/inspection").status_code == 404
    staff_view = client_for(people.agent).get("/api/v1/service-types/inspection").json()
    assert (staff_view["staff_only"], staff_view["group"]) == (True, "inspection")
    assert {"res_new_connection", "hv_new_connection", "fault_repair", "consultation"} <= {
        row["code"] for row in listed["results"]
    }
    steps = {step["code"]: step for step in hv["steps"]}
    assert steps["supply_plan"]["sla_days"] == 15
    assert steps["supply_plan"]["sla_by_field"] == {"field": "power_source", "days": {"dual": 30}}
    assert steps["design_review"]["sla_days"] == 10
    assert residential["total_sla_days"] == 5
    assert [doc["code"] for doc in residential["required_documents"]] == ["id_card", "property_certificate"]
    assert residential["required_documents"][0]["label"].startswith("ID card")
    fields = {field["name"]: field for field in residential["form_fields"]}
    assert fields["contact_phone"]["pii"] is True and fields["contact_phone"]["kind"] == "phone"
    assert fields["category"]["choices"] == [{"value": "residential", "label": "Residential"}]
    accept = next(t for t in residential["transitions"] if t["source"] == "submitted" and t["action"] == "accept")
    assert accept == {
        "source": "submitted",
        "target": "site_survey",
        "action": "accept",
        "label": "Accept (受理)",
        "roles": [roles.CUSTOMER_SERVICE_AGENT],
        "guard": "documents_complete",
        "note_required": False,
    }
    # Labels are translated for the caller (zh-hans is the default language).
    in_chinese = client_for(people.customer_a, language="zh-hans").get("/api/v1/service-types/res_new_connection")
    category = next(field for field in in_chinese.json()["form_fields"] if field["name"] == "category")
    assert category["choices"] == [{"value": "residential", "label": "居民生活"}]
    survey = next(step for step in residential["steps"] if step["code"] == "site_survey")
    assert survey["records"] == [{"name": "area_code", "label": "Transformer area code"}]
    assert client.get("/api/v1/service-types/no_such_type").status_code == 404
    assert APIClient().get("/api/v1/service-types").status_code == 403


# --- filing ------------------------------------------------------------------------------------------


def test_customer_files_a_request_and_reads_its_timeline_and_allowed_actions(people):
    phone = make_phone()

    filed = file_new_connection(people, phone=phone)

    assert filed["number"].startswith("SR") and len(filed["number"]) == 16
    assert filed["status"] == "submitted" and filed["status_name"] == "Submitted, awaiting acceptance"
    assert filed["service_type"] == "res_new_connection"
    assert filed["assigned_role"] == roles.CUSTOMER_SERVICE_AGENT
    assert filed["form_answers"] == {"category": "residential", "voltage_level": "220V", "requested_kva": "8"}
    assert filed["private_answers"]["contact_phone"] == phone and filed["private_answers_masked"] is False
    assert [step["code"] for step in filed["steps"]] == ["submitted"]
    assert filed["steps"][0]["sla_days"] == 1 and filed["steps"][0]["finished_at"] is None
    assert [(e["action"], e["to_status"], e["actor_role"]) for e in filed["events"]] == [
        ("submit", "submitted", "applicant")
    ]
    assert [doc["code"] for doc in filed["missing_documents"]] == ["id_card", "property_certificate"]
    assert [(t["action"], t["target"], t["note_required"]) for t in filed["allowed_transitions"]] == [
        ("cancel", "cancelled", False)
    ]
    stored = ServiceRequest.objects.get(number=filed["number"])
    assert stored.applicant == people.customer_a and stored.private_data and phone not in str(stored.form_data)


def test_due_day_of_a_step_started_before_national_day_is_the_first_working_day_after_it(people):
    # Filed on Wednesday 30 September 2026; 1–7 October is the National Day holiday: due 8 October.
    filed = submit_request(
        applicant=people.customer_a,
        service_type_code="consultation",
        form={"question": "电价怎么算？"},
        as_of=dt.datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI),
    )

    detail = client_for(people.customer_a).get(f"/api/v1/service-requests/{filed.number}").json()

    assert detail["step_due_day"] == "2026-10-08"
    assert detail["steps"][0]["due_day"] == "2026-10-08"
    assert detail["number"] == f"SR20260930{filed.pk:06d}"


def test_form_errors_come_back_per_field_and_nothing_is_filed(people):
    client = client_for(people.customer_a)

    bad_form = client.post(
        "/api/v1/service-requests",
        {
            "service_type": "meter_check",
            "account_number": people.acc_a.number,
            "form": {"contact_phone": "12345", "colour": "blue"},
        },
        format="json",
    )
    no_account = client.post(
        "/api/v1/service-requests",
        {"service_type": "meter_check", "form": {"contact_phone": make_phone()}},
        format="json",
    )
    someone_elses_account = client.post(
        "/api/v1/service-requests",
        {"service_type": "meter_check", "account_number": people.acc_b.number, "form": {"contact_phone": make_phone()}},
        format="json",
    )
    unknown_type = client.post("/api/v1/service-requests", {"service_type": "teleport", "form": {}}, format="json")

    assert bad_form.status_code == 400
    fields = error(bad_form)["fields"]
    assert set(fields) == {"form"}
    assert set(fields["form"]) == {"contact_phone", "non_field_errors"}
    assert "colour" in fields["form"]["non_field_errors"][0]
    assert error(no_account)["fields"] == {"account_number": ["Choose the account this request is about."]}
    assert error(someone_elses_account)["fields"] == {
        "account_number": ["No such account among the accounts bound to you."]
    }
    assert error(unknown_type)["fields"] == {"service_type": ["No such service."]}
    assert ServiceRequest.objects.count() == 0


def test_only_portal_customers_file_requests(people):
    response = client_for(people.agent).post(
        "/api/v1/service-requests", {"service_type": "consultation", "form": {"question": "?"}}, format="json"
    )

    assert response.status_code == 403
    assert error(response)["code"] == "permission_denied"
    assert ServiceRequest.objects.count() == 0


def test_create_with_idempotency_key_never_files_twice(people):
    client = client_for(people.customer_a)
    body = {"service_type": "consultation", "form": {"question": "峰谷电价什么时候生效？"}}

    first = client.post("/api/v1/service-requests", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    retried = client.post("/api/v1/service-requests", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    other_body = client.post(
        "/api/v1/service-requests",
        {**body, "form": {"question": "另一个问题"}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="retry-1",
    )
    # Another user may use the same key for their own request.
    other_user = client_for(people.customer_b).post(
        "/api/v1/service-requests", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1"
    )

    assert first.status_code == 201 and retried.status_code == 201
    assert retried["Idempotent-Replayed"] == "true"
    assert retried.json()["number"] == first.json()["number"]
    assert other_body.status_code == 422 and error(other_body)["code"] == "idempotency_key_reused"
    assert other_user.status_code == 201 and other_user.json()["number"] != first.json()["number"]
    assert ServiceRequest.objects.filter(applicant=people.customer_a).count() == 1
    assert ServiceRequest.objects.count() == 2


def test_a_refused_create_with_a_key_replays_its_400_and_files_nothing(people):
    client = client_for(people.customer_a)
    body = {"service_type": "consultation", "form": {}}

    first = client.post("/api/v1/service-requests", body, format="json", HTTP_IDEMPOTENCY_KEY="bad-1")
    again = client.post("/api/v1/service-requests", body, format="json", HTTP_IDEMPOTENCY_KEY="bad-1")

    assert first.status_code == again.status_code == 400
    assert error(first)["fields"] == {"form": {"question": ["This field is required."]}}
    assert again.json() == first.json()
    assert ServiceRequest.objects.count() == 0


def test_without_a_key_two_posts_file_two_requests(people):
    client = client_for(people.customer_a)
    body = {"service_type": "consultation", "form": {"question": "?"}}

    numbers = {client.post("/api/v1/service-requests", body, format="json").json()["number"] for _ in range(2)}

    assert len(numbers) == 2


# --- workflow ----------------------------------------------------------------------------------------


def transition(client: APIClient, number: str, action: str, **extra):
    return client.post(f"/api/v1/service-requests/{number}/transitions", {"action": action, **extra}, format="json")


def test_refusals_map_to_status_and_code_and_change_nothing(people):
    number = file_new_connection(people)["number"]
    customer, agent, engineer = client_for(people.customer_a), client_for(people.agent), client_for(people.engineer)

    by_role = transition(customer, number, "accept")
    by_state = transition(agent, number, "advance")
    by_guard = transition(agent, number, "accept")
    by_note = transition(agent, number, "return", note="   ")
    engineer_accepts = transition(engineer, number, "accept")
    unknown_shape = transition(agent, number, "accept", recorded=["not", "a", "dict"])

    assert (by_role.status_code, error(by_role)["code"]) == (403, "role")
    assert error(by_role)["message"] == "Your role may not do this."
    assert (by_state.status_code, error(by_state)["code"]) == (409, "state")
    assert "advance" in error(by_state)["message"]
    assert (by_guard.status_code, error(by_guard)["code"]) == (400, "guard")
    assert error(by_guard)["message"].startswith("Documents missing: ID card")
    assert (by_note.status_code, error(by_note)["code"]) == (400, "note")
    assert (engineer_accepts.status_code, error(engineer_accepts)["code"]) == (403, "role")
    assert unknown_shape.status_code == 400 and "recorded" in error(unknown_shape)["fields"]
    stored = ServiceRequest.objects.get(number=number)
    assert stored.status == "submitted" and stored.events.count() == 1


def test_request_worked_through_to_completion_by_the_roles_that_own_each_step(people):
    number = file_new_connection(people)["number"]
    customer, agent, engineer = client_for(people.customer_a), client_for(people.agent), client_for(people.engineer)
    for document_type in ("id_card", "property_certificate"):
        assert upload(customer, number, document_type=document_type, name="scan.pdf", data=PDF).status_code == 201

    accepted = transition(agent, number, "accept")
    engineer_view = engineer.get(f"/api/v1/service-requests/{number}").json()
    missing_record = transition(engineer, number, "advance")
    bad_record = transition(engineer, number, "advance", recorded={"area_code": "NO-SUCH-AREA"})
    surveyed = transition(engineer, number, "advance", recorded={"area_code": "A-SR-1"}, note="现场可装表")

    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == "site_survey"
    assert accepted.json()["allowed_transitions"] == []  # the agent holds no role on the survey
    assert [t["action"] for t in engineer_view["allowed_transitions"]] == ["advance", "return", "reject"]
    advance = engineer_view["allowed_transitions"][0]
    assert advance["records"] == [{"name": "area_code", "label": "Transformer area code"}]
    assert advance["target"] == "meter_installation" and advance["guard"] == "records_present"
    assert (missing_record.status_code, error(missing_record)["code"]) == (400, "guard")
    assert "Transformer area code" in error(missing_record)["message"]
    assert (bad_record.status_code, error(bad_record)["code"]) == (400, "records")
    assert surveyed.status_code == 200
    body = surveyed.json()
    assert body["status"] == "meter_installation" and body["area"] == "A-SR-1"
    assert body["recorded"] == {"area_code": "A-SR-1"}
    assert [step["code"] for step in body["steps"]] == ["submitted", "site_survey", "meter_installation"]
    assert body["steps"][1]["handled_by"] == people.engineer.get_username()
    assert body["steps"][1]["finished_at"] is not None and body["steps"][2]["sla_days"] == 2
    assert [(e["action"], e["from_status"], e["to_status"]) for e in body["events"]] == [
        ("submit", "", "submitted"),
        ("accept", "submitted", "site_survey"),
        ("advance", "site_survey", "meter_installation"),
    ]
    assert body["events"][-1]["note"] == "现场可装表" and body["events"][-1]["actor_role"] == roles.FIELD_ENGINEER


def complete_consultation(people: People) -> str:
    number = (
        client_for(people.customer_a)
        .post("/api/v1/service-requests", {"service_type": "consultation", "form": {"question": "?"}}, format="json")
        .json()["number"]
    )
    agent = client_for(people.agent)
    assert transition(agent, number, "accept").status_code == 200
    done = transition(agent, number, "advance", recorded={"answer": "见电价表"})
    assert done.json()["status"] == "completed", done.json()
    return number


def test_staff_put_a_request_in_a_colleagues_queue_who_holds_the_steps_role(people):
    number = file_new_connection(people)["number"]  # submitted: the acceptance step, an agent's
    colleague = make_staff(role=roles.CUSTOMER_SERVICE_AGENT, username="agent-queue-2")
    colleague.first_name = "小红"
    colleague.save(update_fields=["first_name"])
    url = f"/api/v1/service-requests/{number}/assignment"

    assigned = client_for(people.agent).post(url, {"assignee": "agent-queue-2"}, format="json")

    assert assigned.status_code == 200 and assigned.json()["assigned_to"] == "小红"
    stored = ServiceRequest.objects.get(number=number)
    assert stored.assigned_to == colleague
    assert list(stored.events.filter(action="assign").values_list("actor", "note")) == [
        (people.agent.pk, "agent-queue-2")
    ]
    # The engineer does not hold the acceptance step's role; an unknown name is a field error; a
    # customer may not assign at all. None of them changes the queue.
    wrong_role = client_for(people.agent).post(url, {"assignee": people.engineer.username}, format="json")
    unknown = client_for(people.agent).post(url, {"assignee": "nobody-here"}, format="json")
    by_customer = client_for(people.customer_a).post(url, {"assignee": "agent-queue-2"}, format="json")
    empty = client_for(people.agent).post(url, {}, format="json")
    assert (wrong_role.status_code, error(wrong_role)["code"]) == (403, "role")
    assert people.engineer.username in error(wrong_role)["message"]
    assert unknown.status_code == 400 and "assignee" in error(unknown)["fields"]
    assert by_customer.status_code == 403
    assert empty.status_code == 400 and "assignee" in error(empty)["fields"]
    stored.refresh_from_db()
    assert stored.assigned_to == colleague and stored.events.filter(action="assign").count() == 1


def test_applicant_rates_a_completed_request_once(people):
    number = complete_consultation(people)
    customer = client_for(people.customer_a)

    out_of_range = customer.post(f"/api/v1/service-requests/{number}/rating", {"rating": 6}, format="json")
    by_staff = client_for(people.agent).post(f"/api/v1/service-requests/{number}/rating", {"rating": 5}, format="json")
    rated = customer.post(f"/api/v1/service-requests/{number}/rating", {"rating": 4, "comment": "快"}, format="json")
    again = customer.post(f"/api/v1/service-requests/{number}/rating", {"rating": 5}, format="json")

    assert out_of_range.status_code == 400 and "rating" in error(out_of_range)["fields"]
    assert (by_staff.status_code, error(by_staff)["code"]) == (403, "role")
    assert rated.status_code == 200
    assert (rated.json()["rating"], rated.json()["rating_comment"]) == (4, "快")
    assert (again.status_code, error(again)["code"]) == (409, "state")
    assert ServiceRequest.objects.get(number=number).rating == 4


def test_rating_an_open_request_is_a_state_conflict(people):
    number = file_new_connection(people)["number"]

    response = client_for(people.customer_a).post(
        f"/api/v1/service-requests/{number}/rating", {"rating": 5}, format="json"
    )

    assert (response.status_code, error(response)["code"]) == (409, "state")


# --- personal answers --------------------------------------------------------------------------------


def test_staff_see_personal_answers_masked_and_reveal_them_only_with_the_permission(people):
    phone, id_number = make_phone(), make_id_number()
    number = file_new_connection(people, phone=phone, id_number=id_number)["number"]
    request_pk = ServiceRequest.objects.get(number=number).pk

    as_agent = client_for(people.agent).get(f"/api/v1/service-requests/{number}")
    refused = client_for(people.clerk).post(f"/api/v1/service-requests/{number}/reveal")
    revealed = client_for(people.agent).post(f"/api/v1/service-requests/{number}/reveal")

    answers = as_agent.json()["private_answers"]
    assert as_agent.json()["private_answers_masked"] is True
    assert as_agent["Cache-Control"] == "private, no-store"
    assert answers["contact_phone"] == f"{phone[:3]}****{phone[-4:]}"
    assert answers["applicant_id_number"] == f"330{'*' * 11}{id_number[-4:]}"
    assert answers["site_address"] == "浙江省杭州市****"
    assert answers["applicant_name"] == "王**"
    text = as_agent.content.decode()
    assert phone not in text and id_number not in text and "王小明" not in text
    assert (refused.status_code, error(refused)["code"]) == (403, "permission_denied")
    assert revealed.status_code == 200 and revealed["Cache-Control"] == "no-store"
    assert revealed.json()["private_answers"]["contact_phone"] == phone
    assert revealed.json()["private_answers"]["applicant_name"] == "王小明"
    events = AuditEvent.objects.filter(
        action=AuditEvent.Action.PII_REVEAL, object_type="services.servicerequest", object_id=str(request_pk)
    )
    assert sorted(events.values_list("outcome", flat=True)) == ["denied", "success"]


def test_list_shows_no_personal_answers_at_all(people):
    phone = make_phone()
    file_new_connection(people, phone=phone)

    text = client_for(people.agent).get("/api/v1/service-requests").content.decode()

    assert phone not in text and phone[-4:] not in text and "private_answers" not in text


# --- attachments -------------------------------------------------------------------------------------


def test_upload_reports_checksum_size_and_detected_type_and_download_returns_the_bytes(people):
    number = file_new_connection(people)["number"]
    customer = client_for(people.customer_a)

    uploaded = upload(customer, number, document_type="id_card", name="身份证.png", data=PNG)
    meta = uploaded.json()
    downloaded = customer.get(meta["download_url"])
    by_agent = client_for(people.agent).get(meta["download_url"])
    listed = customer.get(f"/api/v1/service-requests/{number}/attachments").json()

    assert uploaded.status_code == 201
    assert meta["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert (meta["size_bytes"], meta["content_type"], meta["document_type"]) == (len(PNG), "image/png", "id_card")
    assert meta["original_name"] == "身份证.png"
    assert meta["download_url"] == f"/api/v1/service-requests/{number}/attachments/{meta['public_id']}"
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == PNG
    assert downloaded["Content-Type"] == "image/png"
    assert downloaded["Content-Disposition"].startswith("attachment;")
    assert downloaded["X-Content-Type-Options"] == "nosniff"
    assert downloaded["Cache-Control"] == "private, no-store"
    assert by_agent.status_code == 200 and b"".join(by_agent.streaming_content) == PNG
    assert [row["public_id"] for row in listed] == [meta["public_id"]]


def test_a_renamed_executable_is_refused_and_nothing_is_stored(people, private_storage):
    number = file_new_connection(people)["number"]

    response = upload(client_for(people.customer_a), number, document_type="id_card", name="scan.pdf", data=EXECUTABLE)

    assert response.status_code == 400
    assert "Only PDF, JPEG and PNG" in error(response)["fields"]["file"][0]
    assert RequestAttachment.objects.count() == 0
    stored_files = (
        [p for p in Path(private_storage).rglob("*") if p.is_file()] if Path(private_storage).exists() else []
    )
    assert stored_files == []


def test_uploads_refuse_unknown_documents_oversized_files_and_strangers(people, settings):
    number = file_new_connection(people)["number"]
    customer = client_for(people.customer_a)
    settings.ATTACHMENT_MAX_BYTES = 64

    wrong_document = upload(customer, number, document_type="business_licence", name="licence.pdf", data=PDF)
    too_big = upload(customer, number, document_type="id_card", name="big.pdf", data=PDF + b"\x00" * 64)
    stranger = upload(client_for(people.customer_b), number, document_type="id_card", name="x.pdf", data=PDF[:60])

    assert "document_type" in error(wrong_document)["fields"]
    assert too_big.status_code == 400 and "larger than" in error(too_big)["fields"]["file"][0]
    assert stranger.status_code == 404
    assert RequestAttachment.objects.count() == 0


def test_customer_b_cannot_see_or_download_customer_a_request_or_file(people):
    number_a = file_new_connection(people)["number"]
    meta = upload(client_for(people.customer_a), number_a, document_type="id_card", name="id.pdf", data=PDF).json()
    number_b = (
        client_for(people.customer_b)
        .post("/api/v1/service-requests", {"service_type": "consultation", "form": {"question": "?"}}, format="json")
        .json()["number"]
    )
    b = client_for(people.customer_b)

    listed = b.get("/api/v1/service-requests").json()
    responses = {
        "detail": b.get(f"/api/v1/service-requests/{number_a}"),
        "file": b.get(meta["download_url"]),
        "file via own request": b.get(f"/api/v1/service-requests/{number_b}/attachments/{meta['public_id']}"),
        "file list": b.get(f"/api/v1/service-requests/{number_a}/attachments"),
        "transition": transition(b, number_a, "cancel"),
        "rating": b.post(f"/api/v1/service-requests/{number_a}/rating", {"rating": 1}, format="json"),
        "no such file": b.get(f"/api/v1/service-requests/{number_b}/attachments/00000000-0000-0000-0000-000000000000"),
    }

    assert [row["number"] for row in listed["results"]] == [number_b]
    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 404)
    assert {error(r)["code"] for r in responses.values()} == {"not_found"}
    assert ServiceRequest.objects.get(number=number_a).status == "submitted"


# --- filters -----------------------------------------------------------------------------------------


def test_staff_filters_by_status_type_area_assignee_overdue_and_sla_state(people):
    long_ago = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
    late = submit_request(
        applicant=people.customer_a,
        service_type_code="meter_check",
        account_number=people.acc_a.number,
        form={"contact_phone": make_phone()},
        as_of=long_ago,
    )
    fresh = submit_request(
        applicant=people.customer_b,
        service_type_code="consultation",
        form={"question": "?"},
        as_of=dt.datetime(2099, 1, 5, 10, 0, tzinfo=SHANGHAI),
    )
    ServiceRequest.objects.filter(pk=late.pk).update(assigned_to=people.agent, sla_state="breached")
    agent = client_for(people.agent)

    def numbers(**params) -> list[str]:
        response = agent.get("/api/v1/service-requests", params)
        assert response.status_code == 200, response.json()
        return [row["number"] for row in response.json()["results"]]

    assert numbers() == [fresh.number, late.number]
    assert numbers(type="meter_check") == [late.number]
    assert numbers(area="A-SR-1") == [late.number]
    assert numbers(assigned_to="me") == [late.number]
    assert numbers(overdue="true") == [late.number]
    assert numbers(overdue="false") == [fresh.number]
    assert numbers(sla_state="breached") == [late.number]
    assert numbers(status="submitted", ordering="submitted_at") == [late.number, fresh.number]
    assert numbers(status="completed") == []
    bad = agent.get("/api/v1/service-requests", {"sla_state": "sometime", "assigned_to": "someone"})
    assert bad.status_code == 400 and set(error(bad)["fields"]) == {"sla_state", "assigned_to"}
    # The customer's own list takes the same filters and still holds only their own requests.
    own = client_for(people.customer_a).get("/api/v1/service-requests", {"overdue": "true"}).json()
    assert [row["number"] for row in own["results"]] == [late.number]
    assert client_for(people.customer_b).get("/api/v1/service-requests", {"overdue": "true"}).json()["count"] == 0


def test_schema_lists_the_service_request_operations(db):
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    expected = {
        "/api/v1/service-types": {"get"},
        "/api/v1/service-types/{code}": {"get"},
        "/api/v1/service-requests": {"get", "post"},
        "/api/v1/service-requests/{number}": {"get"},
        "/api/v1/service-requests/{number}/transitions": {"post"},
        "/api/v1/service-requests/{number}/rating": {"post"},
        "/api/v1/service-requests/{number}/assignment": {"post"},
        "/api/v1/service-requests/{number}/reveal": {"post"},
        "/api/v1/service-requests/{number}/attachments": {"get", "post"},
        "/api/v1/service-requests/{number}/attachments/{public_id}": {"get"},
    }

    for path, methods in expected.items():
        assert set(schema["paths"][path]) & {"get", "post", "put", "patch", "delete"} == methods, path
    upload_body = schema["paths"]["/api/v1/service-requests/{number}/attachments"]["post"]["requestBody"]
    assert "multipart/form-data" in upload_body["content"]
    create = schema["paths"]["/api/v1/service-requests"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    filters = {p["name"] for p in schema["paths"]["/api/v1/service-requests"]["get"]["parameters"]}
    assert {"status", "type", "area", "assigned_to", "overdue", "sla_state"} <= filters


# --- bad input and query counts ----------------------------------------------------------------------


def test_bad_input_is_a_4xx_naming_the_problem_never_a_500(people):
    number = file_new_connection(people)["number"]
    customer, agent = client_for(people.customer_a), client_for(people.agent)
    url = "/api/v1/service-requests"

    cases = {
        "form not an object": (
            customer.post(url, {"service_type": "consultation", "form": ["?"]}, format="json"),
            "form",
        ),
        "nested answer": (
            customer.post(url, {"service_type": "consultation", "form": {"question": {"a": 1}}}, format="json"),
            "form",
        ),
        "not a date": (
            customer.post(
                url,
                {
                    "service_type": "pause",
                    "account_number": people.acc_a.number,
                    "form": {"effective_on": "2026-13-01"},
                },
                format="json",
            ),
            "form",
        ),
        "no type": (customer.post(url, {"form": {}}, format="json"), "service_type"),
        "long account number": (
            customer.post(url, {"service_type": "meter_check", "account_number": "9" * 40}, format="json"),
            "account_number",
        ),
        "no action": (agent.post(f"{url}/{number}/transitions", {}, format="json"), "action"),
        "rating as words": (customer.post(f"{url}/{number}/rating", {"rating": "five"}, format="json"), "rating"),
        "no file": (customer.post(f"{url}/{number}/attachments", {"document_type": "id_card"}), "file"),
    }
    broken_json = customer.post(url, data="{not json", content_type="application/json")
    json_upload = customer.post(f"{url}/{number}/attachments", {"document_type": "id_card"}, format="json")

    for name, (response, field) in cases.items():
        assert response.status_code == 400, (name, response.content)
        assert field in error(response)["fields"], (name, response.json())
    assert broken_json.status_code == 400 and error(broken_json)["code"] == "parse_error"
    assert json_upload.status_code == 415 and error(json_upload)["code"] == "unsupported_media_type"
    assert ServiceRequest.objects.count() == 1


def _queries(client: APIClient, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_list_and_detail_run_a_fixed_number_of_queries(people):
    agent = client_for(people.agent)
    number = file_new_connection(people)["number"]
    customer = client_for(people.customer_a)
    upload(customer, number, document_type="id_card", name="a.pdf", data=PDF)
    few_list = _queries(agent, "/api/v1/service-requests")
    few_detail = _queries(agent, f"/api/v1/service-requests/{number}")
    few_types = _queries(agent, "/api/v1/service-types")

    for _ in range(4):
        file_new_connection(people)
    for document_type in ("id_card", "property_certificate", "authorization_letter"):
        upload(customer, number, document_type=document_type, name="b.pdf", data=PDF)
    transition(agent, number, "return", note="请补充")
    transition(customer, number, "resubmit")

    assert _queries(agent, "/api/v1/service-requests") == few_list
    assert _queries(agent, f"/api/v1/service-requests/{number}") == few_detail
    assert _queries(agent, "/api/v1/service-types") == few_types
