"""Paying a bill in a real Chromium: a customer with an issued bill logs in, opens 电费账单, sees the amount,
pays through the sandbox gateway's checkout page, comes back to the return page, and the bill shows as
paid. The gateway's notifications run as eager Celery tasks inside the live server (a real transaction,
so their on_commit callbacks fire). Screenshots at 1280px and 390px go to test-results/e2e/<test>/."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from decimal import Decimal

import pytest
from django.apps import apps as django_apps

from billing.models import Bill, Payment, RegisterRead, Tariff, TariffAssignment
from billing.services.billing_run import run_billing, start_billing_run
from tests.factories import SHANGHAI, bind, make_account, make_meter, make_portal_user
from tests.support.browser import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_NUMBER = "13912340042"
PASSWORD = "Dianli-2024!bills"


@pytest.fixture
def seeded_tariffs():
    """Transactional tests flush every table after them, the migration-seeded tariffs included."""
    if not Tariff.objects.exists():
        importlib.import_module("billing.migrations.0006_seed_tariffs").seed(django_apps, None)


@pytest.fixture
def issued_bill(seeded_tariffs) -> Bill:
    """A residential account on ZJ-RES-FLAT with November 2026 billed from reads 1,000 → 1,300:
    300 kWh × 0.538 = 161.40."""
    account = make_account(number="3301020042")
    bind(user=make_portal_user(phone=PHONE_NUMBER, password=PASSWORD), account=account)
    meter = make_meter(account=account, meter_no="E2E-PAY")
    TariffAssignment.objects.create(
        account=account, tariff=Tariff.objects.get(code="ZJ-RES-FLAT"), valid_from=dt.date(2024, 1, 1)
    )
    for day, total in ((dt.date(2026, 11, 1), "1000.00"), (dt.date(2026, 12, 1), "1300.00")):
        RegisterRead.objects.create(
            meter=meter, read_at=dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI), total=Decimal(total)
        )
    run = start_billing_run(
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 12, 1),
        as_of=dt.datetime(2026, 12, 2, 9, tzinfo=SHANGHAI),
        account_ids=[account.pk],
    )
    run_billing(run_id=run.pk)
    bill = Bill.objects.get(account=account)
    assert (bill.status, bill.amount) == ("issued", Decimal("161.40"))
    return bill


def too_wide(page) -> list[str]:
    """Elements reaching past the phone's width (empty when nothing scrolls sideways)."""
    return page.evaluate(
        """(width) => [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > width + 0.5)
            .slice(0, 8).map((el) => `${el.tagName}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`)""",
        PHONE["width"],
    )


def shoot(page, path, *, phone: bool) -> None:
    """A full-page screenshot; on the phone, also check nothing scrolls sideways."""
    desktop = page.viewport_size
    if phone:
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (page.url, too_wide(page))
    page.screenshot(path=path, full_page=True)
    if phone:
        page.set_viewport_size(desktop)


def test_customer_pays_a_bill_through_the_sandbox_gateway(live_server, browser_page, results_dir, issued_bill):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(live_server.url + "/login/")
    page.get_by_label("手机号").fill(PHONE_NUMBER)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(live_server.url + "/")

    page.locator(".main-nav").get_by_role("link", name="电费账单").click()
    expect(page).to_have_url(live_server.url + "/bills/")
    row = page.locator(f'[data-bill="{issued_bill.pk}"]')
    expect(row.locator('[data-field="amount"]')).to_have_text("¥161.40")
    expect(row.locator("[data-state]").first).to_have_attribute("data-state", "due")
    expect(page.get_by_test_id("amount-due")).to_have_text("¥161.40")
    expect(page.get_by_test_id("tier-used")).to_be_visible()
    shoot(page, results_dir / "bills-desktop.png", phone=False)
    shoot(page, results_dir / "bills-phone.png", phone=True)

    # The bill's detail, then the cost calculator, as a customer would look around.
    row.get_by_role("link", name="详情").click()
    expect(page.locator('[data-table="lines"]')).to_contain_text("161.40")
    expect(page.locator('[data-table="reads"]')).to_contain_text("1300.00")
    shoot(page, results_dir / "bill-detail-desktop.png", phone=False)
    shoot(page, results_dir / "bill-detail-phone.png", phone=True)
    page.goto(live_server.url + "/bills/quote/?tariff=ZJ-RES-FLAT&month=2026-12&kwh_total=300&annual_kwh_before=0")
    expect(page.get_by_test_id("quote-total")).to_have_text("¥161.40")
    shoot(page, results_dir / "quote-desktop.png", phone=False)
    shoot(page, results_dir / "quote-phone.png", phone=True)

    # Pay the balance from the list: the sandbox gateway's checkout page shows the same amount.
    page.goto(live_server.url + "/bills/")
    page.locator('[data-action="pay-balance"]').click()
    expect(page).to_have_url(re.compile(r"/payments/sandbox/checkout/MP\w+$"))
    expect(page.locator("body")).to_contain_text("161.40")
    page.screenshot(path=results_dir / "sandbox-checkout.png", full_page=True)
    page.get_by_role("button", name=re.compile("^(Pay|支付)$")).click()

    # Back on our return page: the notification was delivered (eagerly) before the redirect.
    expect(page).to_have_url(re.compile(r"/bills/payments/return\?order_no=MP\w+$"))
    expect(page.locator("[data-payment-status]")).to_have_attribute("data-payment-status", "succeeded")
    expect(page.locator("h1")).to_have_text("缴费成功")
    shoot(page, results_dir / "payment-return-desktop.png", phone=False)
    shoot(page, results_dir / "payment-return-phone.png", phone=True)
    payment = Payment.objects.get()
    assert (payment.status, payment.amount) == ("succeeded", Decimal("161.40"))

    page.get_by_role("link", name="返回账单").click()
    row = page.locator(f'[data-bill="{issued_bill.pk}"]')
    expect(row.locator("[data-state]").first).to_have_attribute("data-state", "paid")
    expect(row.locator('[data-field="outstanding"]')).to_have_text("¥0.00")
    expect(page.locator('[data-action="pay-balance"]')).to_have_count(0)
    shoot(page, results_dir / "bills-paid-desktop.png", phone=False)

    page.goto(live_server.url + "/bills/payments/")
    expect(page.locator(f'[data-order="{payment.order_no}"]')).to_contain_text("¥161.40")
    shoot(page, results_dir / "payments-desktop.png", phone=False)
    shoot(page, results_dir / "payments-phone.png", phone=True)

    # English through the header switch.
    page.goto(live_server.url + "/bills/")
    page.locator("header .lang-switch").get_by_role("button", name="EN").click()
    expect(page.locator("h1")).to_have_text("Electricity bills")
    shoot(page, results_dir / "bills-en-phone.png", phone=True)
