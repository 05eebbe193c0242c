"""Applying online and following the request in a real Chromium (issue #5, "apply-upload-follow").

A new customer (no account yet) opens 办理业务, picks 居民新装, fills the generated form and uploads a
PNG and a PDF for the two required documents; a renamed executable is refused next to its input
without losing the other answers. The request appears in "my requests"; staff in the right roles
(agent: accept; field engineer: survey, meter installation) work it through the workflow service as
the admin would; the customer sees every step on the timeline with its due day and the desk that
handled it (never a staff user name), sees the account the completion created, and rates the service.
Screenshots at 1280px and 390px go to test-results/e2e/<test>/.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone, translation
from django.utils.translation import gettext

from security import roles
from services.actions.requests import transition_request
from services.models import ServiceRequest
from services.sla import due_day
from tests.factories import make_area, make_id_number, make_portal_user, make_staff
from tests.support.browser import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_NUMBER = "13912340077"
PASSWORD = "Dianli-2024!apply"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x00" * 48
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


def zh_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@pytest.fixture
def staff_roles():
    """Transactional tests flush every table after them, the migration-made role groups included (and,
    when a flush skips post_migrate, the synced service catalogue: write it again)."""
    from services.actions.catalogue_sync import sync_catalogue

    with translation.override("en"):
        sync_catalogue()
    for role in roles.ALL_ROLES:
        Group.objects.get_or_create(name=role)
    return make_staff(role=roles.CUSTOMER_SERVICE_AGENT, username="agent_wang"), make_staff(
        role=roles.FIELD_ENGINEER, username="engineer_li"
    )


def log_in(page, base_url: str) -> None:
    page.goto(base_url + "/login/")
    page.locator("#id_username").fill(PHONE_NUMBER)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_url(base_url + "/")


def fill_answers(page, *, id_number: str) -> None:
    page.locator("#id_applicant_name").fill("李晓红")
    page.locator("#id_applicant_id_number").fill(id_number)
    page.locator("#id_contact_phone").fill("13912345678")
    page.locator("#id_site_address").fill("浙江省杭州市西湖区文三路100号5幢302室")
    page.locator("#id_voltage_level").select_option("220V")
    page.locator("#id_requested_kva").fill("8")


def no_sideways_scroll(page) -> None:
    """At 390px nothing scrolls sideways and the seven-entry tab bar stays one row."""
    desktop = page.viewport_size
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url
    tops = page.evaluate(
        "[...document.querySelectorAll('.main-nav a')].map((a) => [a.textContent.trim(), a.getBoundingClientRect().top, a.getBoundingClientRect().height])"
    )
    grid = page.evaluate(
        "(() => { const n = document.querySelector('.main-nav'); const s = getComputedStyle(n);"
        " return [s.display, s.gridTemplateColumns, n.children.length, s.height, s.gridAutoFlow]; })()"
    )
    assert len(tops) == 8 and len({top for _, top, _ in tops}) == 1, (page.url, tops, grid)
    page.set_viewport_size(desktop)


def test_apply_upload_follow_and_rate(live_server, browser_page, results_dir, staff_roles):
    agent, engineer = staff_roles
    make_portal_user(phone=PHONE_NUMBER, password=PASSWORD)
    area = make_area(code="TA-E2E-01")
    page = browser_page
    base = live_server.url
    log_in(page, base)

    # 办理业务 → the catalogue → 居民新装.
    page.locator(".main-nav a[href='/service-requests/']").click()
    page.wait_for_url(base + "/service-requests/")
    assert page.locator("[data-empty='no-requests']").is_visible()
    page.locator("main a[href='/service-requests/new/']").first.click()
    card = page.locator("[data-type='res_new_connection']")
    assert "居民新装" in card.locator(".card-title").inner_text()
    assert "身份证" in card.locator("[data-field='documents']").inner_text()
    page.screenshot(path=results_dir / "catalogue-desktop.png", full_page=True)
    no_sideways_scroll(page)
    card.get_by_role("link").click()
    page.wait_for_url(base + "/service-requests/new/res_new_connection/")

    # A renamed executable as the ID card: refused at its input, the answers stay.
    id_number = make_id_number(serial=77)
    fill_answers(page, id_number=id_number)
    assert page.locator("#id_doc_id_card").get_attribute("accept") == ".pdf,.jpg,.jpeg,.png"
    page.locator("#id_doc_id_card").set_input_files({"name": "身份证.png", "mimeType": "image/png", "buffer": EXE})
    page.locator("#id_doc_property_certificate").set_input_files(
        {"name": "房产证.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.locator("form.sr-form [type=submit]").click()
    page.wait_for_load_state()
    error = page.locator("#id_doc_id_card_errors")
    assert error.inner_text().strip() == zh(
        "Only PDF, JPEG and PNG files are accepted; this file is none of them, whatever its name."
    )
    assert page.locator("#id_doc_id_card").get_attribute("aria-invalid") == "true"
    assert page.locator("#id_applicant_name").input_value() == "李晓红"
    assert page.locator("#id_site_address").input_value() == "浙江省杭州市西湖区文三路100号5幢302室"
    assert page.locator("#id_voltage_level").input_value() == "220V"
    assert not ServiceRequest.objects.exists()
    page.screenshot(path=results_dir / "apply-refused-file.png", full_page=True)

    # Real documents this time: a PNG photo of the ID card and a PDF scan of the deed.
    page.locator("#id_doc_id_card").set_input_files({"name": "身份证.png", "mimeType": "image/png", "buffer": PNG})
    page.locator("#id_doc_property_certificate").set_input_files(
        {"name": "房产证.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.locator("form.sr-form [type=submit]").click()
    page.wait_for_url(re.compile(r".*/service-requests/SR\d{14}/$"))
    service_request = ServiceRequest.objects.get()
    number = service_request.number
    assert page.locator("[data-testid='request-number']").inner_text() == number
    assert sorted(service_request.attachments.values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/png",
    ]
    answers = page.locator("[data-testid='answers']").inner_text()
    assert id_number not in answers and f"{id_number[:3]}" in answers and id_number[-4:] in answers
    assert "139****5678" in answers

    # My requests: the type, number, status and the acceptance due day.
    page.locator(".main-nav a[href='/service-requests/']").click()
    row = page.locator(f"[data-request='{number}']")
    assert "居民新装" in row.locator(".bill-period").inner_text()
    assert row.get_attribute("data-status") == "submitted"
    service_request.refresh_from_db()
    assert row.locator("[data-field='next-due']").inner_text() == zh_date(due_day(service_request.step_due_at))
    assert row.locator("[data-sla='on_time']").is_visible()
    page.screenshot(path=results_dir / "my-requests.png", full_page=True)

    # Staff work it, each in their role, as the admin's actions do.
    now = timezone.now()
    transition_request(actor=agent, service_request_id=service_request.pk, action="accept", as_of=now)
    transition_request(
        actor=engineer,
        service_request_id=service_request.pk,
        action="advance",
        as_of=now + dt.timedelta(seconds=1),
        recorded={"area_code": area.code},
    )
    transition_request(
        actor=engineer,
        service_request_id=service_request.pk,
        action="advance",
        as_of=now + dt.timedelta(seconds=2),
        recorded={
            "meter_no": "E2E-SR-0001",
            "meter_installed_at": (now + dt.timedelta(seconds=2)).strftime("%Y-%m-%d %H:%M"),
        },
    )
    service_request.refresh_from_db()
    assert service_request.status == "completed"

    # The timeline: every step with its due day and the desk that handled it.
    page.goto(f"{base}/service-requests/{number}/")
    steps = page.locator(".sr-step")
    assert [steps.nth(i).get_attribute("data-step") for i in range(steps.count())] == [
        "submitted",
        "site_survey",
        "meter_installation",
    ]
    for step in service_request.steps.order_by("started_at", "id"):
        entry = page.locator(f".sr-step[data-step='{step.code}']")
        assert entry.locator("[data-field='due']").inner_text().startswith(zh_date(due_day(step.due_at)))
        expected_desk = "营业厅坐席" if step.code == "submitted" else "装表接电"
        assert entry.locator("[data-field='handler']").inner_text() == expected_desk
    body = page.locator("main").inner_text()
    assert "agent_wang" not in body and "engineer_li" not in body
    assert page.locator("[data-field='status']").inner_text() == zh("Completed")
    page.screenshot(path=results_dir / "timeline-desktop.png", full_page=True)
    no_sideways_scroll(page)
    page.set_viewport_size(PHONE)
    page.screenshot(path=results_dir / "timeline-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})

    # Rate it: five stars and a comment, once.
    rate = page.locator("[data-action='rate']")
    rate.locator("input[name='rating'][value='5']").check()
    rate.locator("textarea[name='comment']").fill("装表很快，师傅很专业")
    rate.locator("[type=submit]").click()
    page.wait_for_url(f"{base}/service-requests/{number}/")
    assert page.locator("[data-testid='rating']").inner_text().count("5 / 5") == 1
    assert page.locator("[data-action='rate']").count() == 0
    service_request.refresh_from_db()
    assert (service_request.rating, service_request.rating_comment) == (5, "装表很快，师傅很专业")
    # The completion created the account for the new home, with the installed meter, bound to the customer.
    assert service_request.effect_result["meter"] == "E2E-SR-0001"
    assert page.locator("[data-field='account']").inner_text() == service_request.effect_result["account"]
    assert page.locator("#switch-account").input_value() == service_request.effect_result["account"]
    page.screenshot(path=results_dir / "rated.png", full_page=True)
