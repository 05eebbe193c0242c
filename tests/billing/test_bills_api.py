"""Bills, ledger and prepaid settings through the API: customers only their own, staff by role."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from billing.models import PrepaidAccount
from billing.services.payments import record_counter_payment
from security import roles
from tests.billing.test_bills import AS_OF, assign, bill_for, read
from tests.factories import bind, make_account, make_meter, make_portal_user, make_staff

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def setup(residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    bill = bill_for(account)  # 300 × 0.538 = 161.40
    owner = make_portal_user()
    bind(user=owner, account=account)
    record_counter_payment(
        user=None, account=account, amount=D("100.00"), channel="counter", reference="c1", as_of=AS_OF
    )
    return account, bill, owner


def test_customer_reads_own_bill_with_lines_reads_and_outstanding(setup):
    account, bill, owner = setup
    data = client_for(owner).get(f"/api/v1/bills/{bill.pk}").json()
    assert (data["account_number"], data["amount"], data["outstanding"], data["status"]) == (
        account.number,
        "161.40",
        "61.40",
        "partially_paid",
    )
    assert [(line["code"], line["amount"]) for line in data["lines"]] == [("energy_total", "161.40")]
    assert [(r["meter_no"], r["start_value"], r["end_value"]) for r in data["reads"]] == [("R1", "1000.00", "1300.00")]


def test_another_customer_gets_404_and_held_bills_stay_internal(setup):
    _account, bill, owner = setup
    stranger = make_portal_user()
    bind(user=stranger, account=make_account())
    assert client_for(stranger).get(f"/api/v1/bills/{bill.pk}").status_code == 404
    assert client_for(stranger).get("/api/v1/bills").json()["results"] == []
    other = make_account()
    assign(other, "ZJ-RES-FLAT")
    bind(user=owner, account=other)
    meter = make_meter(account=other, meter_no="R9")
    read(meter, "2026-11-01", "5.00")  # no end read → held
    held = bill_for(other)
    assert held.status == "held"
    ids = [b["id"] for b in client_for(owner).get("/api/v1/bills").json()["results"]]
    assert ids == [bill.pk]
    assert held.pk in [
        b["id"] for b in client_for(make_staff(role=roles.BILLING_CLERK)).get("/api/v1/bills").json()["results"]
    ]


def test_ledger_and_balance(setup):
    account, _, owner = setup
    api = client_for(owner)
    entries = api.get("/api/v1/ledger").json()["results"]
    assert sorted((e["kind"], e["amount"]) for e in entries) == [("charge", "161.40"), ("payment", "-100.00")]
    # 161.40 − 100.00 = 61.40 owed
    assert api.get(f"/api/v1/ledger/balance/{account.number}").json()["balance"] == "61.40"
    assert client_for(make_portal_user()).get(f"/api/v1/ledger/balance/{account.number}").status_code == 404


def test_customer_sets_the_prepaid_alert_threshold(setup):
    account, _, owner = setup
    PrepaidAccount.objects.create(account=account)
    api = client_for(owner)
    response = api.patch(f"/api/v1/prepaid/{account.number}", {"low_balance_threshold": "30.00"}, format="json")
    assert response.status_code == 200 and response.json()["low_balance_threshold"] == "30.00"
    bad = api.patch(f"/api/v1/prepaid/{account.number}", {"low_balance_threshold": "-5"}, format="json")
    assert bad.status_code == 400 and "threshold" in bad.json()["error"]["fields"]
    assert (
        client_for(make_portal_user())
        .patch(f"/api/v1/prepaid/{account.number}", {"low_balance_threshold": "1"}, format="json")
        .status_code
        == 404
    )
    assert (
        client_for(make_staff(role=roles.MARKETING_ANALYST))
        .patch(f"/api/v1/prepaid/{account.number}", {"low_balance_threshold": "1"}, format="json")
        .status_code
        == 403
    )


def test_anonymous_sees_nothing(setup):
    for path in ("/api/v1/bills", "/api/v1/ledger", "/api/v1/prepaid"):
        assert APIClient().get(path).status_code in (401, 403)
