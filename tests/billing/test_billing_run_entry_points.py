"""Starting a billing run: the admin (on the billing workers) and the run_billing command."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from billing.models import Bill, BillingRun
from security import roles
from tests.billing.test_bills import assign, read
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def billable(residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    return account


def test_clerk_starts_a_run_in_the_admin(client, billable, django_capture_on_commit_callbacks):
    client.force_login(make_staff(role=roles.BILLING_CLERK))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("admin:billing_billingrun_start"), {"month": "2026-11"})
    assert response.status_code == 302
    # Two worker tasks share the run; the chunk that issued the bill enqueues its customer notice (on commit).
    assert len(callbacks) == 2 + 1
    run = BillingRun.objects.get()
    assert (run.status, run.issued) == ("completed", 1)
    assert Bill.objects.get(account=billable).amount.to_eng_string() == "161.40"  # 300 × 0.538


def test_analyst_cannot_start_a_run(client):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    assert client.get(reverse("admin:billing_billingrun_start")).status_code == 403


def test_command_bills_a_month_and_reports(billable):
    out = StringIO()
    call_command("run_billing", "2026-11", "--account", billable.number, stdout=out)
    assert "1 issued, 0 held for review, 0 already billed, 0 skipped" in out.getvalue()
    out = StringIO()
    call_command("run_billing", "2026-11", stdout=out)
    assert "0 issued, 0 held for review, 1 already billed" in out.getvalue()
    with pytest.raises(CommandError, match="not a month"):
        call_command("run_billing", "2026-13")
    with pytest.raises(CommandError, match="no such account"):
        call_command("run_billing", "2026-11", "--account", "0000000000")
