"""Staff console: masked personal data, blind-index search, audited reveal and audited changes."""

import datetime as dt

import pytest
from django.urls import reverse

from customers.models import Customer
from security import roles
from security.models import AuditEvent
from tests.factories import make_account, make_customer, make_id_number, make_staff

pytestmark = pytest.mark.django_db

# The customer change form carries (read-only) account and interaction inlines.
INLINE_MANAGEMENT = {
    f"{prefix}-{name}": "0" for prefix in ("accounts", "interactions") for name in ("TOTAL_FORMS", "INITIAL_FORMS")
}


@pytest.fixture
def agent_client(client):
    agent = make_staff(role=roles.CUSTOMER_SERVICE_AGENT)
    client.force_login(agent)
    client.user = agent
    return client


def test_changelist_masks_phone_and_id_number(agent_client):
    customer = make_customer(phone="13912345678", id_number=make_id_number(serial=7))
    html = agent_client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert "139****5678" in html
    assert customer.masked_id_number in html
    assert "13912345678" not in html
    assert customer.id_number not in html


def test_change_form_never_contains_plaintext(agent_client):
    customer = make_customer(phone="13912345678", email="li.lei@example.cn", address="浙江省杭州市滨江区江南大道100号")
    html = agent_client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()
    for secret in [customer.phone, customer.id_number, customer.email, customer.address]:
        assert secret not in html
    assert "139****5678" in html
    assert "Reveal" in html or "显示" in html  # the agent role may reveal, so the button is there


@pytest.mark.parametrize("typed", ["13912345678", "+86 139-1234-5678"])
def test_search_by_exact_phone_goes_through_blind_index(agent_client, typed):
    wanted = make_customer(name="要找的人", phone="13912345678")
    make_customer(name="别人", phone="13912345679")
    response = agent_client.get(reverse("admin:customers_customer_changelist"), {"q": typed})
    assert list(response.context["cl"].queryset) == [wanted]


def test_search_by_exact_id_number_and_by_account_number(agent_client):
    wanted = make_customer(name="身份证查找")
    other = make_customer(name="另一个")
    account = make_account(customer=other)
    changelist = reverse("admin:customers_customer_changelist")
    by_id = agent_client.get(changelist, {"q": wanted.id_number.lower()})
    assert list(by_id.context["cl"].queryset) == [wanted]
    by_account = agent_client.get(changelist, {"q": account.number})
    assert list(by_account.context["cl"].queryset) == [other]


def test_reveal_shows_plaintext_and_is_audited(agent_client):
    customer = make_customer(phone="13912345678")
    response = agent_client.post(reverse("admin:customers_customer_reveal", args=[customer.pk]))
    assert response.status_code == 200
    assert "13912345678" in response.content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.PII_REVEAL)
    assert (event.actor, event.object_id, event.outcome) == (agent_client.user, str(customer.pk), "success")
    assert event.source_ip == "127.0.0.1"


def test_reveal_is_refused_without_permission_and_the_refusal_is_audited(client):
    analyst = make_staff(role=roles.MARKETING_ANALYST)
    client.force_login(analyst)
    customer = make_customer(phone="13912345678")
    change_page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()
    assert "reveal" not in change_page.lower()
    response = client.post(reverse("admin:customers_customer_reveal", args=[customer.pk]))
    assert response.status_code == 403
    assert "13912345678" not in response.content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.PII_REVEAL)
    assert (event.actor, event.outcome) == (analyst, "denied")


def test_reveal_by_get_is_refused(agent_client):
    customer = make_customer()
    assert agent_client.get(reverse("admin:customers_customer_reveal", args=[customer.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PII_REVEAL).exists()


def test_staff_edit_changes_the_phone_keeps_blank_fields_and_is_audited(agent_client):
    customer = make_customer(phone="13912345678")
    id_before = customer.id_number
    response = agent_client.post(
        reverse("admin:customers_customer_change", args=[customer.pk]),
        {
            "kind": "individual",
            "name": "改过的名字",
            "phone": "13700001111",
            "id_number": "",
            "email": "",
            "address": "",
            **INLINE_MANAGEMENT,
        },
    )
    assert response.status_code == 302
    customer = Customer.objects.get(pk=customer.pk)
    assert (customer.name, customer.phone, customer.id_number) == ("改过的名字", "13700001111", id_before)
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, object_type="customers.customer")
    assert event.details["fields"] == ["name", "phone"]
    assert "13700001111" not in str(event.details)


def test_staff_edit_with_invalid_id_number_shows_field_error(agent_client):
    customer = make_customer()
    bad = customer.id_number[:-1] + ("0" if customer.id_number[-1] != "0" else "1")
    response = agent_client.post(
        reverse("admin:customers_customer_change", args=[customer.pk]),
        {
            "kind": "individual",
            "name": customer.name,
            "id_number": bad,
            "phone": "",
            "email": "",
            "address": "",
            **INLINE_MANAGEMENT,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["id_number"]
    assert Customer.objects.get(pk=customer.pk).id_number == customer.id_number


def test_audit_log_is_read_only_even_for_superusers(admin_client):
    event = AuditEvent.objects.create(action=AuditEvent.Action.BIND)
    assert admin_client.get(reverse("admin:security_auditevent_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:security_auditevent_add")).status_code == 403
    admin_client.post(reverse("admin:security_auditevent_delete", args=[event.pk]), {"post": "yes"})
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_roles_without_customer_permissions_cannot_open_customers(client):
    auditor = make_staff(role=roles.SECURITY_AUDITOR)
    client.force_login(auditor)
    assert client.get(reverse("admin:customers_customer_changelist")).status_code == 403
    assert client.get(reverse("admin:security_auditevent_changelist")).status_code == 200


def test_privacy_consents_are_shown_to_agents_read_only(agent_client):
    from customers.models import PrivacyConsent
    from tests.factories import make_portal_user

    consent = PrivacyConsent.objects.create(
        user=make_portal_user(phone="13912340000"),
        notice_version="2026-12-01",
        accepted_at=dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC),
    )
    changelist = agent_client.get(reverse("admin:customers_privacyconsent_changelist"))
    assert changelist.status_code == 200 and "2026-12-01" in changelist.content.decode()
    assert "13912340000" not in changelist.content.decode()
    assert agent_client.get(reverse("admin:customers_privacyconsent_add")).status_code == 403
    change = agent_client.post(
        reverse("admin:customers_privacyconsent_change", args=[consent.pk]), {"notice_version": "forged"}
    )
    assert change.status_code == 403
    consent.refresh_from_db()
    assert consent.notice_version == "2026-12-01"
