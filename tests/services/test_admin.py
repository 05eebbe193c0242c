"""The staff console for service requests: queues by role, the transition form, the read-only catalogue."""

from __future__ import annotations

import pytest
from django.urls import reverse

from services import catalogue
from services.models import ServiceRequest
from tests.factories import make_staff
from tests.services.request_helpers import attach_required, new_request, place_at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    """Messages are asserted in the source language (the UI defaults to Chinese)."""
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def test_agent_accepts_from_the_request_page_and_sees_refusals(client):
    agent = make_staff(role=catalogue.CSA)
    client.force_login(agent)
    service_request = new_request(code="res_new_connection")
    page = client.get(reverse("admin:services_servicerequest_change", args=[service_request.pk]))
    body = page.content.decode()
    assert 'value="accept"' in body and 'value="return"' in body and 'value="cancel"' not in body
    url = reverse("admin:services_servicerequest_transition", args=[service_request.pk])
    refused = client.post(url, {"action": "accept"}, follow=True)
    assert "Documents missing" in refused.content.decode()
    attach_required(service_request)
    client.post(url, {"action": "accept"})
    service_request.refresh_from_db()
    assert service_request.status == "site_survey"


def test_engineer_records_values_through_the_form(client):
    engineer = make_staff(role=catalogue.ENGINEER)
    client.force_login(engineer)
    service_request = place_at(new_request(code="meter_check"), "meter_test")
    page = client.get(reverse("admin:services_servicerequest_change", args=[service_request.pk]))
    assert 'name="record_test_result"' in page.content.decode()
    client.post(
        reverse("admin:services_servicerequest_transition", args=[service_request.pk]),
        {"action": "advance", "record_test_result": "合格", "note": "已校验"},
    )
    service_request.refresh_from_db()
    assert (service_request.status, service_request.recorded) == ("completed", {"test_result": "合格"})


def test_queue_filters(client):
    engineer = make_staff(role=catalogue.ENGINEER)
    client.force_login(engineer)
    mine = place_at(new_request(code="meter_check"), "meter_test")
    ServiceRequest.objects.filter(pk=mine.pk).update(assigned_to=engineer, assigned_role=catalogue.ENGINEER)
    other = new_request(code="consultation")  # waiting for an agent
    listing = client.get(reverse("admin:services_servicerequest_changelist"), {"queue": "mine"}).content.decode()
    assert mine.number in listing and other.number not in listing
    roles = client.get(reverse("admin:services_servicerequest_changelist"), {"queue": "my_roles"}).content.decode()
    assert mine.number in roles and other.number not in roles


def test_analyst_sees_no_individual_requests(client):
    analyst = make_staff(role=catalogue.roles.MARKETING_ANALYST)
    client.force_login(analyst)
    service_request = new_request(code="consultation")
    page = client.get(reverse("admin:services_servicerequest_change", args=[service_request.pk]))
    assert page.status_code == 403
    refused = client.post(
        reverse("admin:services_servicerequest_transition", args=[service_request.pk]), {"action": "accept"}
    )
    assert refused.status_code == 403
    service_request.refresh_from_db()
    assert service_request.status == "submitted"


def test_catalogue_is_readable_in_the_admin(client):
    client.force_login(make_staff(role=catalogue.CSA))
    page = client.get(reverse("admin:services_servicetype_changelist")).content.decode()
    assert "Residential new connection" in page or "居民新装" in page


def test_staff_open_one_inspection_per_account_from_an_analysis_page(client):
    from tests.factories import make_account

    account = make_account()
    engineer = make_staff(role=catalogue.ENGINEER)
    client.force_login(engineer)
    url = reverse("services_staff:open_inspection")
    form = {"account_number": account.number, "reason": "线损异常", "evidence": "近30天日均电量下降 80%"}
    first = client.post(url, form)
    inspection = ServiceRequest.objects.get(service_type__code="inspection", account=account)
    assert first.url == reverse("admin:services_servicerequest_change", args=[inspection.pk])
    assert inspection.form_data == {"reason": "线损异常", "evidence": "近30天日均电量下降 80%"}
    assert inspection.assigned_role == catalogue.CSA
    client.post(url, form)
    assert ServiceRequest.objects.filter(service_type__code="inspection", account=account).count() == 1


def test_customers_cannot_open_inspections(client):
    from django.core.exceptions import ValidationError

    from services.actions.requests import submit_request
    from tests.factories import bind, make_account, make_portal_user
    from tests.services.request_helpers import AS_OF

    user = make_portal_user()
    account = make_account()
    bind(user=user, account=account)
    with pytest.raises(ValidationError) as error:
        submit_request(
            applicant=user,
            service_type_code="inspection",
            form={"reason": "x"},
            as_of=AS_OF,
            account_number=account.number,
        )
    assert "staff only" in str(error.value)
    client.force_login(user)
    response = client.post(reverse("services_staff:open_inspection"), {"account_number": account.number})
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert not ServiceRequest.objects.exists()
