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
