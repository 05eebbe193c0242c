"""Finding 1 of issue 13 (free payment): the sandbox gateway is refused in production, its checkout
page serves only the logged-in owner of the bill's account, and what it posts is marked as sandbox
money that never counts as collected."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from analytics.selectors.dashboard import DashboardFilters, collection_by_month
from billing.checks import check_payment_gateway
from billing.models import Bill, LedgerEntry, Payment, SandboxTransaction
from billing.services.payments import record_counter_payment, start_online_payment
from tests.billing.test_bills import AS_OF, assign, bill_for, read
from tests.factories import bind, make_portal_user

ROOT = Path(settings.BASE_DIR)
SANDBOX = "billing.services.gateways.SandboxGateway"
HOSTED = "billing.services.gateways.HostedCheckoutGateway"


def _check_ids(**overrides) -> list[str]:
    with override_settings(**overrides):
        return sorted(error.id for error in check_payment_gateway())


def test_the_refusing_configuration_rejects_the_sandbox_and_accepts_a_real_gateway():
    https = {
        "PAYMENT_GATEWAY_CHECKOUT_URL": "https://pay.example.cn/c",
        "PAYMENT_GATEWAY_QUERY_URL": "https://pay.example.cn/q",
    }
    assert _check_ids(PAYMENT_REFUSE_TEST_GATEWAY=True, PAYMENT_GATEWAY=SANDBOX) == ["billing.E001"]
    assert _check_ids(PAYMENT_REFUSE_TEST_GATEWAY=True, PAYMENT_GATEWAY=HOSTED, **https) == []
    # a real gateway with a plain-http or missing address is as bad: the signed order would travel in clear
    http = {**https, "PAYMENT_GATEWAY_QUERY_URL": "http://pay.example.cn/q"}
    assert _check_ids(PAYMENT_REFUSE_TEST_GATEWAY=True, PAYMENT_GATEWAY=HOSTED, **http) == ["billing.E003"]
    assert _check_ids(PAYMENT_GATEWAY="billing.services.gateways.NoSuchGateway") == ["billing.E002"]
    # the embedded default (local settings) keeps the sandbox
    assert _check_ids(PAYMENT_REFUSE_TEST_GATEWAY=False, PAYMENT_GATEWAY=SANDBOX) == []


def _production(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "marketing_portal.settings.production",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",  # never connected: checks only
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "ALLOWED_HOSTS": "portal.example.cn",
        "FIELD_ENCRYPTION_KEYS": settings.FIELD_ENCRYPTION_KEYS,
        "BLIND_INDEX_KEY": settings.BLIND_INDEX_KEY,
        "AUDIT_CHAIN_KEY": settings.AUDIT_CHAIN_KEY,
        "PAYMENT_GATEWAY_SECRET": "gateway-secret",
        **extra,
    }


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_production_web_process_and_deploy_check_refuse_the_sandbox():
    env = _production(PAYMENT_GATEWAY=SANDBOX)
    web = _run("import marketing_portal.wsgi", env)
    assert web.returncode != 0 and "billing.E001" in web.stderr and "refusing to start" in web.stderr
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode != 0 and "billing.E001" in check.stderr


def test_production_web_process_starts_with_a_real_gateway_and_refuses_no_gateway():
    hosted = {
        "PAYMENT_GATEWAY_CHECKOUT_URL": "https://pay.example.cn/c",
        "PAYMENT_GATEWAY_QUERY_URL": "https://pay.example.cn/q",
    }
    ok = _run("import marketing_portal.wsgi; print('served')", _production(PAYMENT_GATEWAY=HOSTED, **hosted))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "served"
    unset = _production(**hosted)
    unset.pop("PAYMENT_GATEWAY", None)
    missing = _run("import django; django.setup()", unset)
    assert missing.returncode != 0 and "PAYMENT_GATEWAY must be set in production" in missing.stderr


def test_the_env_example_does_not_enable_the_sandbox():
    example = (ROOT / "docs" / "env.example").read_text()
    assert "Sandbox" not in example
    assert f"PAYMENT_GATEWAY={HOSTED}" in example


@pytest.fixture
def sandbox_order(residential):
    """A bound customer's issued bill of 161.40 (300 kWh × 0.538) and a pending sandbox order for it."""
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    bill = bill_for(account)
    owner = make_portal_user()
    bind(user=owner, account=account)
    payment, url = start_online_payment(
        user=owner, account=account, amount=D("161.40"), return_url="/bills/", as_of=AS_OF
    )
    return owner, bill, payment, url


@pytest.mark.django_db
def test_anonymous_visitors_cannot_pay_through_the_sandbox(client, sandbox_order, django_capture_on_commit_callbacks):
    _owner, bill, payment, url = sandbox_order
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page = client.get(url)
        posted = client.post(url, {"outcome": "pay"})
    assert page.status_code == posted.status_code == 302
    assert posted.url.startswith("/login/?next=/payments/sandbox/checkout/")
    assert callbacks == []
    assert SandboxTransaction.objects.get(order_no=payment.order_no).status == "created"
    assert Payment.objects.get(pk=payment.pk).status == "pending"
    assert Bill.objects.get(pk=bill.pk).status == "issued"


@pytest.mark.django_db
def test_another_customer_gets_404_and_changes_nothing(client, sandbox_order, django_capture_on_commit_callbacks):
    _owner, bill, payment, url = sandbox_order
    client.force_login(make_portal_user())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.get(url).status_code == 404
        assert client.post(url, {"outcome": "pay"}).status_code == 404
    assert callbacks == []
    assert SandboxTransaction.objects.get(order_no=payment.order_no).status == "created"
    assert Bill.objects.get(pk=bill.pk).status == "issued"


@pytest.mark.django_db
def test_sandbox_money_is_marked_and_never_collected(client, sandbox_order, django_capture_on_commit_callbacks):
    owner, _bill, payment, url = sandbox_order
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"outcome": "pay"}).status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.is_sandbox) == ("succeeded", True)
    entry = LedgerEntry.objects.get(payment=payment)
    assert (entry.amount, entry.is_sandbox) == (D("-161.40"), True)

    filters = DashboardFilters(  # the November bill was issued on 2 December: December's collection
        month_from=dt.date(2026, 12, 1), month_to=dt.date(2026, 12, 1), as_of=dt.date(2026, 12, 31)
    )
    (row,) = collection_by_month(filters=filters)
    # billed 161.40, of which the sandbox "paid" all: collected 0.00, rate 0.0 %
    assert (row["billed"], row["collected"], row["outstanding"], row["rate"]) == (
        D("161.40"),
        D("0.00"),
        D("161.40"),
        D("0.0"),
    )


@pytest.mark.django_db
def test_real_money_still_counts_as_collected(sandbox_order):
    _owner, bill, _payment, _url = sandbox_order
    real = record_counter_payment(
        user=None, account=bill.account, amount=D("100.00"), channel="counter", reference="C1", as_of=AS_OF
    )
    assert real.is_sandbox is False and LedgerEntry.objects.get(payment=real).is_sandbox is False
    filters = DashboardFilters(  # the November bill was issued on 2 December: December's collection
        month_from=dt.date(2026, 12, 1), month_to=dt.date(2026, 12, 1), as_of=dt.date(2026, 12, 31)
    )
    (row,) = collection_by_month(filters=filters)
    # 100.00 of 161.40 collected: 100 / 161.40 = 61.96 % → 62.0
    assert (row["collected"], row["rate"]) == (D("100.00"), D("62.0"))
