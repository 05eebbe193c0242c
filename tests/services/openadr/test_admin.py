"""The OpenADR staff console: a client created in the admin shows its secret once (stored hashed),
rotate and revoke are actions, VENs, resources, reports and the delivery log are listed."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from services.models import OadrClient

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser(username="oadr-admin", password="Staff-pa55!", kind="staff")
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield client


def test_staff_create_a_client_and_see_the_secret_once(staff, vtn):
    response = staff.post(
        reverse("admin:services_oadrclient_add"), {"name": "Aggregator X", "role": "ven"}, follow=True
    )
    client = OadrClient.objects.get(name="Aggregator X")
    page = response.content.decode()
    assert client.client_id in page and "never shown again" in page
    secret = page.split("secret ", 1)[1].split(" ", 1)[0]
    assert client.application.client_secret != secret  # hashed
    vtn.token(client.client_id, secret)
    response = staff.post(
        reverse("admin:services_oadrclient_changelist"), {"action": "revoke", "_selected_action": [client.pk]}
    )
    client.refresh_from_db()
    assert client.revoked_at is not None
    vtn.token(client.client_id, secret, expect=401)


def test_console_pages_list_the_vtn_objects(staff, world, vtn, tokens):
    from tests.services.openadr.test_protocol import usage_report

    vtn.post("/reports", usage_report(world.event_a), token=tokens["a"])
    for name in ("oadrclient", "ven", "venresource", "venreport", "subscription", "webhookdelivery"):
        assert staff.get(reverse(f"admin:services_{name}_changelist")).status_code == 200
    report = world.event_a.ven_reports.get()
    page = staff.get(reverse("admin:services_venreport_change", args=[report.pk])).content.decode()
    assert f"{world.account_a.number}: VEN 2.250 · meter —" in page
    assert staff.get(reverse("admin:services_ven_change", args=[world.ven_obj_a.pk])).status_code == 200
