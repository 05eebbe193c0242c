"""The business hall's service-request pages (/service-requests/): the catalogue, the generated
application form with uploads and its errors, my requests, the detail page (masked answers, files,
timeline with due days and desks), cancel, resubmit with documents, rating, the dashboard panel, and
who may reach which request and file (anyone else: 404).

Pages run in zh-hans (the default); strings added with these pages are untranslated until the lead's
i18n pass, so assertions lean on data-* hooks, numbers, dates and values rather than on wording.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from customers.models import Account
from security import roles
from services.actions.applications import Document, DocumentRefused, apply_for_service
from services.actions.attachments import add_attachment, attachment_path
from services.actions.requests import submit_request, transition_request
from services.models import RequestAttachment, ServiceRequest
from services.sla import due_day
from tests.factories import SHANGHAI, bind, make_account, make_id_number, make_portal_user, make_staff
from tests.services.request_helpers import new_request, place_at

pytestmark = pytest.mark.django_db

BACKEND = "security.backends.PhoneOrUsernameBackend"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
NOT_A_DOCUMENT = "Only PDF, JPEG and PNG files are accepted; this file is none of them, whatever its name."
# Monday 23 Nov 2026, 10:00 in Shanghai: a working week without holidays.
MONDAY = dt.datetime(2026, 11, 23, 10, tzinfo=SHANGHAI)


def in_chinese(text: str) -> str:
    """``text`` as the zh-hans page shows it (its translation once the lead's i18n pass lands)."""
    with translation.override("zh-hans"):
        return escape(gettext(text))


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT


@pytest.fixture
def customer():
    user = make_portal_user()
    bind(user=user, account=make_account(number="3301990001", category=Account.Category.RESIDENTIAL))
    return user


@pytest.fixture
def logged_in(client, customer):
    client.force_login(customer, backend=BACKEND)
    return client


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def new_connection_answers(**overrides) -> dict:
    answers = {
        "applicant_name": "李晓红",
        "applicant_id_number": make_id_number(serial=417),
        "contact_phone": "13912345678",
        "site_address": "浙江省杭州市西湖区文三路100号5幢302室",
        "area_code": "",
        "category": "residential",
        "voltage_level": "220V",
        "requested_kva": "8",
    }
    answers.update(overrides)
    return answers


def file_new_connection(*, applicant, as_of=MONDAY, documents=("id_card", "property_certificate")) -> ServiceRequest:
    form = {k: v for k, v in new_connection_answers().items() if v}
    service_request = submit_request(
        applicant=applicant, service_type_code="res_new_connection", form=form, as_of=as_of
    )
    for code in documents:
        add_attachment(
            actor=applicant,
            service_request=service_request,
            document_type=code,
            filename=f"{code}.png",
            content=upload(f"{code}.png", PNG),
            as_of=as_of,
        )
    return service_request


def field_block(html: str, name: str) -> str:
    """The markup of the `.field` wrapper holding input ``name`` (label, input, help, errors)."""
    pattern = (
        r'<div class="field[^"]*">(?:(?!<div class="field).)*?name="'
        + re.escape(name)
        + r'".*?</div>\s*(?=<div class="field|</fieldset>)'
    )
    match = re.search(pattern, html, re.S)
    assert match, f"no field {name}"
    return match.group(0)


# --- catalogue ---------------------------------------------------------------------------------------


def test_the_catalogue_lists_every_group_with_documents_and_time_limits(logged_in):
    html = logged_in.get(reverse("service_hall:choose")).content.decode()
    groups = re.findall(r'data-group="([a-z]+)"', html)
    assert groups == ["connection", "change", "meter", "fault", "feedback", "billing"]
    assert len(re.findall(r'data-type="[a-z_]+"', html)) == 14
    card = html.split('data-type="res_new_connection"', 1)[1].split('class="card sr-type"', 1)[0]
    assert "5" in re.search(r'data-field="sla">(.*?)</dd>', card, re.S).group(1)
    documents = re.search(r'data-field="documents">(.*?)</dd>', card, re.S).group(1)
    assert "身份证" in documents and "房产证明" in documents and "授权委托书" in documents
    assert reverse("service_hall:apply", args=["res_new_connection"]) in card


def test_the_hall_pages_are_for_signed_in_customers(client):
    response = client.get(reverse("service_hall:list"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(make_staff(role=roles.CUSTOMER_SERVICE_AGENT))
    assert client.get(reverse("service_hall:choose")).status_code == 403


# --- apply -------------------------------------------------------------------------------------------


def test_the_form_is_generated_from_the_type(logged_in):
    html = logged_in.get(reverse("service_hall:apply", args=["res_new_connection"])).content.decode()
    for name in ("applicant_name", "applicant_id_number", "contact_phone", "site_address", "requested_kva"):
        assert f'name="{name}"' in html
    form = html.split('class="card sr-form"', 1)[1]
    assert 'name="account_number"' not in form  # a new connection is not about an existing account
    assert re.search(r'<input type="tel" name="contact_phone"', html)
    assert re.search(r'<textarea name="site_address"', html)
    id_card = field_block(html, "doc_id_card")
    assert 'type="file"' in id_card and 'accept=".pdf,.jpg,.jpeg,.png"' in id_card and "required" in id_card
    letter = field_block(html, "doc_authorization_letter")
    assert 'class="optional"' in letter and " required" not in letter
    # A choice of one ("residential") needs no blank option; the voltage (two choices) gets one.
    assert re.search(r'<select name="voltage_level"[^>]*>\s*<option value="" selected>', html)


def test_an_account_bound_type_offers_only_my_accounts_and_my_categorys_tariffs(logged_in, customer):
    other = make_account(number="3301990099", category=Account.Category.COMMERCIAL)
    html = logged_in.get(reverse("service_hall:apply", args=["tariff_change"])).content.decode()
    account_select = re.search(r'<select name="account_number".*?</select>', html, re.S).group(0)
    assert "3301990001" in account_select and other.number not in account_select
    tariff_select = re.search(r'<select name="new_tariff".*?</select>', html, re.S).group(0)
    assert re.findall(r'value="([A-Z0-9-]+)"', tariff_select) == ["ZJ-RES-FLAT", "ZJ-RES-TOU"]


def test_a_tariff_of_another_category_is_refused_next_to_its_field(logged_in):
    response = logged_in.post(
        reverse("service_hall:apply", args=["tariff_change"]),
        {
            "account_number": "3301990001",
            "new_tariff": "EX-COM-TOU",
            "effective_on": "2026-12-01",
            "doc_id_card": upload("id.png", PNG),
        },
    )
    html = response.content.decode()
    assert 'data-testid="form-has-errors"' in html
    assert 'class="field-errors"' in field_block(html, "new_tariff")
    assert not ServiceRequest.objects.exists()


def test_an_account_bound_type_without_an_account_asks_to_bind_one(client):
    client.force_login(make_portal_user(), backend=BACKEND)
    html = client.get(reverse("service_hall:apply", args=["capacity_increase"])).content.decode()
    assert 'data-empty="no-account"' in html and '<form class="card sr-form"' not in html
    assert reverse("hall:bind") in html


def test_applying_files_the_request_with_its_documents_and_shows_it(logged_in, customer, private_storage):
    answers = new_connection_answers()
    response = logged_in.post(
        reverse("service_hall:apply", args=["res_new_connection"]),
        {**answers, "doc_id_card": upload("身份证.png", PNG), "doc_property_certificate": upload("房产证.pdf", PDF)},
    )
    service_request = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("service_hall:detail", args=[service_request.number])
    assert service_request.applicant == customer and service_request.status == "submitted"
    assert service_request.form_data == {"category": "residential", "voltage_level": "220V", "requested_kva": "8"}
    stored = {a.document_type: a for a in service_request.attachments.all()}
    assert set(stored) == {"id_card", "property_certificate"}
    assert stored["property_certificate"].content_type == "application/pdf"
    assert attachment_path(stored["id_card"]).read_bytes() == PNG

    html = logged_in.get(response["Location"]).content.decode()
    id_number = answers["applicant_id_number"]
    assert id_number not in html and f"{id_number[:3]}{'*' * 11}{id_number[-4:]}" in html
    assert "13912345678" not in html and "139****5678" in html
    assert "文三路100号" not in html  # the address is masked to its district
    assert "身份证.png" in html and "房产证.pdf" in html
    assert reverse("service_hall:file", args=[service_request.number, stored["id_card"].public_id]) in html


def test_bad_answers_and_a_renamed_executable_are_shown_next_to_their_fields_and_keep_the_rest(
    logged_in, private_storage
):
    response = logged_in.post(
        reverse("service_hall:apply", args=["res_new_connection"]),
        {
            **new_connection_answers(applicant_id_number="330106198503120000", requested_kva="lots"),
            "doc_id_card": upload("scan.pdf", EXE, "application/pdf"),
            "doc_property_certificate": upload("deed.png", PNG),
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="form-has-errors"' in html
    assert in_chinese(NOT_A_DOCUMENT) in field_block(html, "doc_id_card")
    assert 'class="field-errors"' in field_block(html, "applicant_id_number")
    assert 'class="field-errors"' in field_block(html, "requested_kva")
    assert 'class="field-errors"' not in field_block(html, "doc_property_certificate")
    # The other answers stay filled in.
    assert 'value="李晓红"' in field_block(html, "applicant_name")
    assert "文三路100号5幢302室</textarea>" in field_block(html, "site_address")
    assert re.search(r'<option value="220V" selected>', html)
    assert not ServiceRequest.objects.exists()
    assert not [path for path in private_storage.rglob("*") if path.is_file()]


def test_a_missing_required_document_is_an_error_at_its_input(logged_in):
    response = logged_in.post(
        reverse("service_hall:apply", args=["res_new_connection"]),
        {**new_connection_answers(), "doc_id_card": upload("id.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32)},
    )
    html = response.content.decode()
    assert 'class="field-errors"' in field_block(html, "doc_property_certificate")
    assert 'class="field-errors"' not in field_block(html, "doc_id_card")
    assert not ServiceRequest.objects.exists()


def test_an_unknown_service_is_404(logged_in):
    assert logged_in.get(reverse("service_hall:apply", args=["teleportation"])).status_code == 404


# --- list, detail, timeline --------------------------------------------------------------------------


def test_my_requests_lists_type_number_status_due_day_and_time_limit_state(logged_in, customer):
    service_request = file_new_connection(applicant=customer)
    other = file_new_connection(applicant=make_portal_user())
    html = logged_in.get(reverse("service_hall:list")).content.decode()
    assert service_request.number in html and other.number not in html
    item = html.split(f'data-request="{service_request.number}"', 1)[1].split("</li>", 1)[0]
    assert 'data-status="submitted"' in item
    assert in_chinese("Submitted, awaiting acceptance") in item  # the step's name, through gettext
    # Submitted Monday 23 Nov: acceptance within 1 working day → due Tuesday 24 Nov.
    assert re.search(r'data-field="next-due">2026年11月24日</dd>', item)
    assert 'data-sla="on_time"' in item


def test_the_timeline_shows_each_step_with_due_day_desk_and_notes(logged_in, customer):
    service_request = file_new_connection(applicant=customer, documents=("id_card",))
    agent = make_staff(role=roles.CUSTOMER_SERVICE_AGENT, username="agent_zhang")
    transition_request(
        actor=agent,
        service_request_id=service_request.pk,
        action="return",
        as_of=MONDAY + dt.timedelta(hours=2),
        note="请补充房产证明",
    )
    html = logged_in.get(reverse("service_hall:detail", args=[service_request.number])).content.decode()
    steps = re.findall(r'<li class="sr-step[^"]*" data-step="([a-z_]+)"', html)
    assert steps == ["submitted", "returned"]
    submitted = html.split('data-step="submitted"', 1)[1].split("</li>", 1)[0]
    assert "2026年11月24日" in re.search(r'data-field="due">(.*?)</dd>', submitted, re.S).group(1)
    assert re.search(r'data-field="handler">营业厅坐席</dd>', submitted)
    assert "agent_zhang" not in html  # staff appear by desk, never by user name
    assert 'data-field="note">请补充房产证明</p>' in submitted
    assert 'data-testid="status-note"' in html and "请补充房产证明" in html.split('data-testid="status-note"')[1]


def test_another_customers_request_and_file_are_404(logged_in):
    stranger = make_portal_user()
    service_request = file_new_connection(applicant=stranger)
    attachment = service_request.attachments.first()
    number = service_request.number
    assert logged_in.get(reverse("service_hall:detail", args=[number])).status_code == 404
    assert logged_in.get(reverse("service_hall:file", args=[number, attachment.public_id])).status_code == 404
    assert logged_in.post(reverse("service_hall:cancel", args=[number])).status_code == 404
    assert logged_in.post(reverse("service_hall:resubmit", args=[number])).status_code == 404
    assert logged_in.post(reverse("service_hall:rate", args=[number]), {"rating": "5"}).status_code == 404
    service_request.refresh_from_db()
    assert service_request.status == "submitted" and service_request.rating is None


def test_the_applicant_and_permitted_staff_download_a_file_and_nobody_else(client, customer):
    service_request = file_new_connection(applicant=customer)
    attachment = service_request.attachments.get(document_type="id_card")
    url = reverse("service_hall:file", args=[service_request.number, attachment.public_id])

    client.force_login(customer, backend=BACKEND)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"] and "id_card.png" in response["Content-Disposition"]
    # The file under another request's number is not found either.
    mine_too = file_new_connection(applicant=customer)
    assert client.get(reverse("service_hall:file", args=[mine_too.number, attachment.public_id])).status_code == 404

    no_role = get_user_model().objects.create_user(username="staff_without_role", kind="staff", is_staff=True)
    client.force_login(no_role)
    assert client.get(url).status_code == 404
    allowed = make_staff(role=roles.FIELD_ENGINEER)
    assert allowed.has_perm("services.view_servicerequest")
    client.force_login(allowed)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG


# --- cancel, resubmit, rate --------------------------------------------------------------------------


def test_cancel_while_submitted_and_not_after_acceptance(logged_in, customer):
    service_request = file_new_connection(applicant=customer)
    url = reverse("service_hall:detail", args=[service_request.number])
    assert 'data-action="cancel"' in logged_in.get(url).content.decode()
    response = logged_in.post(reverse("service_hall:cancel", args=[service_request.number]), {"note": "不需要了"})
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == "cancelled" and service_request.closed_at is not None
    assert service_request.events.get(action="cancel").note == "不需要了"
    html = logged_in.get(url).content.decode()
    assert 'data-action="cancel"' not in html and 'data-status="cancelled"' in html

    accepted = file_new_connection(applicant=customer)
    transition_request(
        actor=make_staff(role=roles.CUSTOMER_SERVICE_AGENT),
        service_request_id=accepted.pk,
        action="accept",
        as_of=MONDAY,
    )
    assert (
        'data-action="cancel"'
        not in logged_in.get(reverse("service_hall:detail", args=[accepted.number])).content.decode()
    )
    response = logged_in.post(reverse("service_hall:cancel", args=[accepted.number]), follow=True)
    accepted.refresh_from_db()
    assert accepted.status == "site_survey"
    assert 'class="alert alert-error"' in response.content.decode()


def test_a_request_returned_after_acceptance_says_its_clock_is_paused(logged_in, customer):
    service_request = file_new_connection(applicant=customer)
    transition_request(
        actor=make_staff(role=roles.CUSTOMER_SERVICE_AGENT),
        service_request_id=service_request.pk,
        action="accept",
        as_of=MONDAY,
    )
    detail_url = reverse("service_hall:detail", args=[service_request.number])
    assert 'data-field="due-paused"' not in logged_in.get(detail_url).content.decode()  # running while with us
    transition_request(
        actor=make_staff(role=roles.FIELD_ENGINEER),
        service_request_id=service_request.pk,
        action="return",
        as_of=MONDAY + dt.timedelta(days=1),
        note="现场无人，请约定勘查时间",
    )
    html = logged_in.get(detail_url).content.decode()
    paused = html.split('data-field="due-paused">', 1)[1].split("</span>", 1)[0]
    assert paused == in_chinese("(paused while we wait for you: the working days you take are added when you resubmit)")
    assert "暂停计时" in paused


def test_a_returned_request_takes_the_missing_document_and_goes_back_for_acceptance(logged_in, customer):
    service_request = file_new_connection(applicant=customer, documents=("id_card",))
    transition_request(
        actor=make_staff(role=roles.CUSTOMER_SERVICE_AGENT),
        service_request_id=service_request.pk,
        action="return",
        as_of=MONDAY,
        note="缺少房产证明",
    )
    detail_url = reverse("service_hall:detail", args=[service_request.number])
    html = logged_in.get(detail_url).content.decode()
    assert 'data-action="resubmit"' in html and 'data-action="cancel"' in html
    resubmit = html.split('data-action="resubmit"', 1)[1].split("</section>", 1)[0]
    assert "房产证明" in resubmit
    assert re.search(r'name="doc_property_certificate"[^>]*required', resubmit)

    url = reverse("service_hall:resubmit", args=[service_request.number])
    refused = logged_in.post(url, {"note": "补上了", "doc_property_certificate": upload("deed.pdf", EXE)})
    assert in_chinese(NOT_A_DOCUMENT) in refused.content.decode()
    service_request.refresh_from_db()
    assert service_request.status == "returned" and service_request.attachments.count() == 1

    response = logged_in.post(url, {"note": "已补充房产证", "doc_property_certificate": upload("deed.pdf", PDF)})
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == "submitted"
    assert service_request.attachments.filter(document_type="property_certificate").count() == 1
    assert service_request.events.get(action="resubmit").note == "已补充房产证"
    html = logged_in.get(detail_url).content.decode()
    assert html.count('data-step="submitted"') == 2 and "已补充房产证" in html
    assert 'data-action="resubmit"' not in html


def test_rating_a_completed_request_once(logged_in, customer):
    service_request = submit_request(
        applicant=customer, service_type_code="consultation", form={"question": "峰谷电价怎么申请？"}, as_of=MONDAY
    )
    agent = make_staff(role=roles.CUSTOMER_SERVICE_AGENT)
    url = reverse("service_hall:rate", args=[service_request.number])
    detail_url = reverse("service_hall:detail", args=[service_request.number])
    assert 'data-action="rate"' not in logged_in.get(detail_url).content.decode()
    assert logged_in.post(url, {"rating": "5"}).status_code == 302
    service_request.refresh_from_db()
    assert service_request.rating is None  # not completed yet: refused

    transition_request(actor=agent, service_request_id=service_request.pk, action="accept", as_of=MONDAY)
    transition_request(
        actor=agent,
        service_request_id=service_request.pk,
        action="advance",
        as_of=MONDAY + dt.timedelta(hours=3),
        recorded={"answer": "在网上营业厅提交改类申请即可"},
    )
    html = logged_in.get(detail_url).content.decode()
    assert 'data-action="rate"' in html and 'data-status="completed"' in html
    assert re.search(r'data-step="answering".*?data-field="handler">营业厅坐席<', html, re.S)

    bad = logged_in.post(url, {"rating": "6"}).content.decode()
    assert 'class="field-errors"' in bad.split('data-action="rate"', 1)[1]
    response = logged_in.post(url, {"rating": "4", "comment": "回复很快"})
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert (service_request.rating, service_request.rating_comment) == (4, "回复很快")
    again = logged_in.post(url, {"rating": "1", "comment": "改主意了"}, follow=True).content.decode()
    service_request.refresh_from_db()
    assert service_request.rating == 4 and 'class="alert alert-error"' in again
    assert 'data-action="rate"' not in again and 'data-testid="rating"' in again and "4 / 5" in again


# --- dashboard ----------------------------------------------------------------------------------------


def test_the_dashboard_panel_lists_my_open_requests(logged_in, customer):
    open_request = file_new_connection(applicant=customer)
    closed = file_new_connection(applicant=customer)
    transition_request(actor=customer, service_request_id=closed.pk, action="cancel", as_of=MONDAY)
    someone_elses = file_new_connection(applicant=make_portal_user())
    html = logged_in.get(reverse("hall:dashboard")).content.decode()
    panel = html.split('data-panel="open-requests"', 1)[1].split("</section>", 1)[0]
    assert open_request.number in panel
    assert closed.number not in panel and someone_elses.number not in panel
    assert reverse("service_hall:detail", args=[open_request.number]) in panel


def test_the_nav_has_the_services_entry_marked_current_on_these_pages(logged_in):
    html = logged_in.get(reverse("service_hall:choose")).content.decode()
    assert re.search(r'<a href="/service-requests/" aria-current="page">', html)


def test_sla_due_day_on_the_detail_page_matches_the_engine(logged_in, customer):
    service_request = file_new_connection(applicant=customer)
    transition_request(
        actor=make_staff(role=roles.CUSTOMER_SERVICE_AGENT),
        service_request_id=service_request.pk,
        action="accept",
        as_of=MONDAY,
    )
    service_request.refresh_from_db()
    html = logged_in.get(reverse("service_hall:detail", args=[service_request.number])).content.decode()
    # End to end: 5 working days after Monday 23 Nov → Monday 30 Nov 2026.
    assert due_day(service_request.due_at) == dt.date(2026, 11, 30)
    assert re.search(r'data-field="due">2026年11月30日</dd>', html)
    # The survey step (2 working days) is due Wednesday 25 Nov.
    assert re.search(r'data-field="step-due">2026年11月25日</dd>', html)
    assert timezone.is_aware(service_request.step_due_at)


def test_phone_and_id_fields_only_accept_valid_values(logged_in):
    valid = make_id_number(serial=418)
    wrong_check_char = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    response = logged_in.post(
        reverse("service_hall:apply", args=["res_new_connection"]),
        {
            **new_connection_answers(contact_phone="12345", applicant_id_number=wrong_check_char),
            "doc_id_card": upload("a.png", PNG),
            "doc_property_certificate": upload("b.png", PNG),
        },
    )
    html = response.content.decode()
    assert 'class="field-errors"' in field_block(html, "contact_phone")
    assert 'class="field-errors"' in field_block(html, "applicant_id_number")
    assert 'class="field-errors"' not in field_block(html, "applicant_name")
    assert not ServiceRequest.objects.exists()


def test_a_file_refused_by_the_store_leaves_no_request_and_no_bytes(customer, private_storage):
    """apply_for_service is one transaction: the second document is refused, so the request rolls back
    and the first document's bytes, already written, are removed."""
    documents = [
        Document(document_type="id_card", filename="id.png", content=upload("id.png", PNG)),
        Document(document_type="property_certificate", filename="deed.pdf", content=upload("deed.pdf", EXE)),
    ]
    form = {k: v for k, v in new_connection_answers().items() if v}
    with pytest.raises(DocumentRefused) as refused:
        apply_for_service(
            applicant=customer, service_type_code="res_new_connection", form=form, documents=documents, as_of=MONDAY
        )
    assert refused.value.document_type == "property_certificate"
    assert refused.value.messages[0] in (NOT_A_DOCUMENT, in_chinese(NOT_A_DOCUMENT))
    assert not ServiceRequest.objects.exists() and not RequestAttachment.objects.exists()
    assert not [path for path in private_storage.rglob("*") if path.is_file()]


def test_a_high_voltage_customer_declares_their_construction_finished(logged_in, customer):
    """In 高压新装 the customer's own construction step may be finished by the customer: the page offers
    it only at that step, and it moves the request on to the completion inspection."""
    service_request = place_at(new_request(code="hv_new_connection", applicant=customer), "construction")
    detail_url = reverse("service_hall:detail", args=[service_request.number])
    html = logged_in.get(detail_url).content.decode()
    assert 'data-action="finish-step"' in html
    response = logged_in.post(reverse("service_hall:finish_step", args=[service_request.number]), {"note": "已完工"})
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == "completion_inspection"
    assert service_request.events.get(action="advance").note == "已完工"
    html = logged_in.get(detail_url).content.decode()
    assert 'data-action="finish-step"' not in html  # the inspection is the engineer's

    # Nowhere else: a submitted request offers no such action, and posting it is refused.
    other = file_new_connection(applicant=customer)
    assert (
        'data-action="finish-step"'
        not in logged_in.get(reverse("service_hall:detail", args=[other.number])).content.decode()
    )
    refused = logged_in.post(reverse("service_hall:finish_step", args=[other.number]), follow=True)
    other.refresh_from_db()
    assert other.status == "submitted" and 'class="alert alert-error"' in refused.content.decode()


def test_my_requests_and_the_dashboard_panel_do_not_query_per_request(logged_in, customer):
    """The step names come in one query for all listed requests: 3 or 12 requests, the same count."""

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as listing:
            assert logged_in.get(reverse("service_hall:list")).status_code == 200
        with CaptureQueriesContext(connection) as dashboard:
            assert logged_in.get(reverse("hall:dashboard")).status_code == 200
        return len(listing), len(dashboard)

    for _ in range(3):
        file_new_connection(applicant=customer, documents=())
    few = counts()
    for _ in range(9):
        file_new_connection(applicant=customer, documents=())
    assert counts() == few
    html = logged_in.get(reverse("service_hall:list")).content.decode()
    assert html.count("data-request=") == 12


def test_the_apply_page_links_the_published_guide_for_the_type(logged_in):
    from services.models import Article

    guide = Article.objects.published().get(service_type_code="res_new_connection")  # seeded by migration
    html = logged_in.get(reverse("service_hall:apply", args=["res_new_connection"])).content.decode()
    assert f'href="{guide.get_absolute_url()}"' in html and guide.title in html
    Article.objects.filter(pk=guide.pk).update(is_published=False)
    html = logged_in.get(reverse("service_hall:apply", args=["res_new_connection"])).content.decode()
    assert guide.get_absolute_url() not in html
