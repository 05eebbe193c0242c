"""Every list page and list API of the business hall, the staff list API and the admin changelists of
the main models run a fixed number of queries however many rows they show (no N+1): each URL is
measured with a few rows and again with more, and the counts must be equal (issue 18).

tests/project/test_api_queries.py covers the customers app's staff API the same way."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from billing.models import Bill, BillLine, BillRead, LedgerEntry, Payment, PaymentAllocation, Tariff
from customers.models import Interaction
from security import roles
from services.models import Notification
from tests.factories import (
    SHANGHAI,
    bind,
    make_account,
    make_area,
    make_customer,
    make_meter,
    make_portal_user,
    make_staff,
)

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

_serial = itertools.count(1)


def add_rows(*, account, user, n: int) -> None:
    """n more of everything a list shows: bills (with a line, a read and a part payment), ledger
    entries, payments, notifications, and n more customers with accounts and CRM interactions."""
    tariff = Tariff.objects.get(code="ZJ-RES-FLAT")
    meter = account.meters.first() or make_meter(account=account, meter_no=f"QM{account.pk}")
    for _ in range(n):
        i = next(_serial)
        start = dt.date(2000, 1, 1) + dt.timedelta(days=31 * i)
        start = start.replace(day=1)
        bill = Bill.objects.create(
            account=account,
            period_start=start,
            period_end=(start + dt.timedelta(days=32)).replace(day=1),
            status=Bill.Status.ISSUED,
            tariff=tariff,
            total_kwh=Decimal("100"),
            annual_kwh_before=Decimal("0"),
            amount=Decimal("53.80"),
            due_date=start + dt.timedelta(days=45),
        )
        BillLine.objects.create(
            bill=bill,
            position=1,
            code="energy",
            description="电量电费",
            quantity=Decimal("100"),
            unit="kWh",
            rate=Decimal("0.53800"),
            amount=Decimal("53.80"),
        )
        when = dt.datetime.combine(start, dt.time(), tzinfo=SHANGHAI)
        BillRead.objects.create(
            bill=bill,
            meter=meter,
            register="total",
            start_at=when,
            start_value=Decimal(i * 100),
            end_at=when + dt.timedelta(days=28),
            end_value=Decimal(i * 100 + 100),
            multiplier=Decimal(1),
            kwh=Decimal("100"),
        )
        payment = Payment.objects.create(
            account=account,
            amount=Decimal("20.00"),
            channel=Payment.Channel.COUNTER,
            status=Payment.Status.SUCCEEDED,
            order_no=f"Q{i:08d}",
        )
        PaymentAllocation.objects.create(payment=payment, bill=bill, amount=Decimal("20.00"))
        LedgerEntry.objects.create(
            account=account,
            kind=LedgerEntry.Kind.CHARGE,
            amount=Decimal("53.80"),
            description="bill",
            bill=bill,
            posting_key=f"q-charge-{i}",
            occurred_on=start,
        )
        LedgerEntry.objects.create(
            account=account,
            kind=LedgerEntry.Kind.PAYMENT,
            amount=Decimal("-20.00"),
            description="paid",
            payment=payment,
            posting_key=f"q-pay-{i}",
            occurred_on=start,
        )
        Notification.objects.create(user=user, kind="bill", event_key=f"bill:{i}", title=f"账单 {i}", body="…")
        other = make_customer()
        Interaction.objects.create(
            customer=other,
            account=make_account(customer=other, area=account.area),
            channel="hotline",
            topic="咨询",
            occurred_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=i),
        )


HALL_PAGES = ["/", "/accounts/", "/bills/", "/bills/payments/", "/inbox/", "/notices/", "/service-requests/", "/help/"]
HALL_API = [
    "/api/v1/accounts",
    "/api/v1/bills",
    "/api/v1/ledger",
    "/api/v1/notifications",
    "/api/v1/outage-notices",
    "/api/v1/service-requests",
    "/api/v1/articles",
    "/api/v1/tariffs",
    "/api/v1/service-types",
]
STAFF_API = [
    "/api/v1/bills",
    "/api/v1/payments",
    "/api/v1/ledger",
    "/api/v1/customers",
    "/api/v1/accounts",
    "/api/v1/interactions",
    "/api/v1/service-requests",
    "/api/v1/outage-notices",
]
ADMIN_LISTS = [
    "/admin/customers/customer/",
    "/admin/customers/account/",
    "/admin/customers/interaction/",
    "/admin/billing/bill/",
    "/admin/billing/payment/",
    "/admin/billing/ledgerentry/",
    "/admin/billing/meter/",
    "/admin/services/servicerequest/",
    "/admin/services/notification/",
]


@pytest.fixture
def world():
    user = make_portal_user()
    account = make_account(area=make_area())
    bind(user=user, account=account)
    customer = Client()
    customer.force_login(user)
    staff = Client()
    admin_user = make_staff(role=roles.SYSTEM_ADMINISTRATOR)
    admin_user.is_superuser = True  # every changelist, whatever the role grants
    admin_user.save()
    staff.force_login(admin_user)
    return {"user": user, "account": account, "customer": customer, "staff": staff}


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


def counts(world, client_name: str, urls: list[str]) -> dict[str, tuple[int, int]]:
    add_rows(account=world["account"], user=world["user"], n=2)
    client = world[client_name]
    for url in urls:  # warm per-process caches (content types, permissions) before measuring
        queries_for(client, url)
    few = {url: queries_for(client, url) for url in urls}
    add_rows(account=world["account"], user=world["user"], n=7)
    many = {url: queries_for(client, url) for url in urls}
    return {url: (few[url], many[url]) for url in urls}


def assert_constant(found: dict[str, tuple[int, int]]) -> None:
    grows = {url: pair for url, pair in found.items() if pair[0] != pair[1]}
    assert not grows, f"queries grow with rows (few, many): {grows}"


def test_hall_pages(world):
    assert_constant(counts(world, "customer", HALL_PAGES))


def test_hall_list_api(world):
    assert_constant(counts(world, "customer", HALL_API))


def test_staff_list_api(world):
    assert_constant(counts(world, "staff", STAFF_API))


def test_admin_changelists(world):
    assert_constant(counts(world, "staff", ADMIN_LISTS))
