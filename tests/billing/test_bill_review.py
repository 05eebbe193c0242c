"""Held bills are released by staff; wrong bills are voided and rebilled as a new revision, audited."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from billing.models import Bill, RegisterRead
from billing.services.bill_review import release_bill, void_and_rebill
from security import roles
from security.models import AuditEvent
from tests.billing.test_bills import AS_OF, assign, bill_for, read
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk():
    return make_staff(role=roles.BILLING_CLERK)


def test_release_issues_a_held_bill_with_a_due_date(residential, clerk):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1000.00")  # zero usage → held
    bill = bill_for(account)
    assert bill.status == "held"
    released = release_bill(actor=clerk, bill=bill, as_of=AS_OF, note="customer away all month (confirmed by phone)")
    assert (released.status, released.due_date, released.issued_at) == ("issued", dt.date(2026, 12, 16), AS_OF)
    assert AuditEvent.objects.filter(object_type="billing.bill", object_id=str(bill.pk), details__release=True).exists()
    with pytest.raises(ValidationError):
        release_bill(actor=clerk, bill=released, as_of=AS_OF)


def test_void_and_rebill_after_a_corrected_read(residential, clerk):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    first = bill_for(account)  # 300 × 0.538 = 161.40
    RegisterRead.objects.filter(meter=meter, read_at__date=dt.date(2026, 11, 30)).delete()
    RegisterRead.objects.filter(meter=meter, total=D("1300.00")).update(total=D("1250.00"))  # misread corrected
    second = void_and_rebill(actor=clerk, bill=first, as_of=AS_OF, reason="end read misread on site")
    # 250 × 0.538 = 134.50; difference −26.90
    first.refresh_from_db()
    assert (first.status, second.revision, second.replaces_id, second.amount) == ("void", 2, first.pk, D("134.50"))
    event = AuditEvent.objects.get(object_type="billing.bill", object_id=str(first.pk), details__void=True)
    assert event.details["difference"] == "-26.90"
    with pytest.raises(ValidationError):
        void_and_rebill(actor=clerk, bill=second, as_of=AS_OF, reason="  ")


def test_held_queue_in_admin_and_release_action(client, residential, clerk):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    bill = bill_for(account)  # no end read → held
    client.force_login(clerk)
    page = client.get(reverse("admin:billing_bill_changelist"), {"status__exact": "held"}).content.decode()
    assert account.number in page and "neither start/end register reads nor interval data" in page
    client.post(reverse("admin:billing_bill_changelist"), {"action": "release_selected", "_selected_action": [bill.pk]})
    assert Bill.objects.get(pk=bill.pk).status == "issued"


def test_analyst_cannot_release(residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    bill = bill_for(account)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        release_bill(actor=make_staff(role=roles.MARKETING_ANALYST), bill=bill, as_of=AS_OF)
    assert Bill.objects.get(pk=bill.pk).status == "held"


def test_bill_list_links_pdf_and_rebill(client, residential, clerk):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    bill = bill_for(account)
    client.force_login(clerk)
    page = client.get(reverse("admin:billing_bill_changelist")).content.decode()
    assert reverse("admin:billing_bill_pdf", args=[bill.pk]) in page
    assert reverse("admin:billing_bill_rebill", args=[bill.pk]) in page
    response = client.post(reverse("admin:billing_bill_rebill", args=[bill.pk]), {"reason": "meter constant corrected"})
    new = Bill.objects.get(account=account, revision=2)
    assert response.status_code == 302 and response.url == reverse("admin:billing_bill_change", args=[new.pk])
    assert Bill.objects.get(pk=bill.pk).status == "void"


def test_a_released_bill_gets_a_fresh_due_date_its_charge_and_one_message(
    residential, clerk, django_capture_on_commit_callbacks
):
    """November (1,000 kWh after a 100 kWh October: 33.3 kWh a day against 3.2) is held for high usage
    and released on Thursday 10 December, when its own due date (1 Dec + 15 = 16 Dec) would leave the
    customer six days. It gets what an on-time bill gets: 15 days from 9 December → Thursday 24 December,
    a working day; its charge 1,000 × 0.538 = 538.00 goes on the ledger; the customer is told once."""
    from billing.models import LedgerEntry
    from billing.services.ledger import balance
    from services.models import Notification
    from services.tasks import notify_bill_issued_task
    from tests.factories import SHANGHAI, bind, make_portal_user

    OCT = (dt.date(2026, 10, 1), dt.date(2026, 11, 1))

    account, meter = residential
    customer = make_portal_user()
    bind(user=customer, account=account)
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-10-01", "0.00")
    read(meter, "2026-11-01", "100.00")
    read(meter, "2026-12-01", "1100.00")
    assert bill_for(account, OCT).status == "issued"
    bill = bill_for(account)
    assert bill.status == "held" and [r["code"] for r in bill.hold_reasons] == ["high_usage"]
    assert balance(account=account) == D("53.80")  # October only: 100 × 0.538
    released_at = dt.datetime(2026, 12, 10, 15, tzinfo=SHANGHAI)
    with django_capture_on_commit_callbacks(execute=True):
        released = release_bill(actor=clerk, bill=bill, as_of=released_at)
        assert not Notification.objects.filter(user=customer).exists()  # nothing before the commit
    assert (released.status, released.due_date) == ("issued", dt.date(2026, 12, 24))
    charge = LedgerEntry.objects.get(bill=released, kind="charge")
    assert (charge.amount, charge.occurred_on) == (D("538.00"), dt.date(2026, 12, 10))
    assert balance(account=account) == D("591.80")  # 53.80 + 538.00
    [message] = Notification.objects.filter(user=customer)
    assert (
        message.event_key == f"bill:{bill.pk}:issued" and "¥538.00" in message.body and "2026年12月24日" in message.body
    )
    notify_bill_issued_task.delay(bill_id=bill.pk)  # a retry or a second release attempt: still one message
    assert Notification.objects.filter(user=customer).count() == 1
