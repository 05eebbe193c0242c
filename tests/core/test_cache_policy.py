"""Finding 12: nothing served to a signed-in user (bills, PDFs, API answers) is cacheable by anyone
else — ``Cache-Control: private, no-store`` at the root (core.web.middleware), whatever the view."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from security import roles
from tests.billing.test_bills import assign, bill_for, read
from tests.factories import bind, make_portal_user, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def bill(residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    return bill_for(account)


def _no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives and not directives & {"public"} and "Expires" not in response


def test_customer_bill_pages_and_pdf_are_private_no_store(client, bill):
    user = make_portal_user()
    bind(user=user, account=bill.account)
    client.force_login(user)
    for url in (
        reverse("billing_hall:bills"),
        reverse("billing_hall:bill", args=[bill.pk]),
        reverse("billing_hall:bill_pdf", args=[bill.pk]),
        reverse("billing_hall:usage"),
        reverse("hall:dashboard"),
        "/no-such-page/",  # even an error page of a signed-in user
    ):
        response = client.get(url)
        assert _no_store(response), (url, response.status_code, response.get("Cache-Control"))


def test_staff_admin_pdf_is_private_no_store(client, bill):
    client.force_login(make_staff(role=roles.BILLING_CLERK))
    response = client.get(reverse("admin:billing_bill_pdf", args=[bill.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert _no_store(response)


def test_api_answers_to_token_and_session_callers_are_private_no_store(bill):
    user = make_portal_user()
    bind(user=user, account=bill.account)
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    session = APIClient()
    session.force_login(user)
    for client in (token, session):
        for url in ("/api/v1/bills", f"/api/v1/bills/{bill.pk}", "/api/v1/bills/999999"):
            response = client.get(url)
            assert _no_store(response), (url, response.status_code, response.get("Cache-Control"))
    # A refused token is still an answer about credentials: not cacheable either.
    refused = APIClient()
    refused.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert _no_store(refused.get("/api/v1/bills"))


def test_anonymous_public_answers_are_left_to_their_views(client):
    response = client.get("/healthz")  # never_cache's own header, untouched
    assert "must-revalidate" in response["Cache-Control"] and "Authorization" not in response.get("Vary", "")
