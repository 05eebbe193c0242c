"""A customer registers (the number proved by a texted code), resets the password by another code,
logs in, binds an account with the ID-number proof, sees it on the dashboard and switches to English
— in a real Chromium, against a live server."""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal

import pytest

from billing.models import RegisterRead, Tariff, TariffAssignment
from billing.services.billing_run import run_billing, start_billing_run
from billing.views import hall
from customers.models import Feeder, PortalBinding, PrivacyConsent, TransformerArea
from customers.sms import LocmemSmsBackend
from tests.factories import SHANGHAI, bind, make_account, make_customer, make_meter, make_portal_user
from tests.support.browser import DESKTOP, PHONE, REPO_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_NUMBER = "13987654321"
PASSWORD = "Dianli-2024!hall"
NEW_PASSWORD = "Dianli-2025!reset"
ADDRESS = "浙江省杭州市西湖区文三路90号3幢201室"


def _texted_code(phone: str) -> str:
    """The code in the newest text to ``phone``, read as the customer reads their phone."""
    body = [m.body for m in LocmemSmsBackend.outbox if m.to == phone][-1]
    return re.search(r"(?<!\d)\d{6}(?!\d)", body).group()


def test_customer_registers_binds_and_switches_language(live_server, browser_page, results_dir):
    from playwright.sync_api import expect

    page = browser_page
    account = make_account(premise_address=ADDRESS)
    id_suffix = account.customer.id_number[-6:]

    # Landing page → register: the number and the privacy consent, then the texted code and a password.
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("用电业务，网上办理")
    page.get_by_role("link", name="手机号注册").first.click()
    expect(page).to_have_url(re.compile(r"/register/$"))
    page.get_by_label("手机号").fill("12345")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#id_phone_errors")).to_contain_text("请输入内地手机号")
    expect(page.locator("#id_accept_privacy_errors")).to_contain_text("请阅读并同意《个人信息保护政策》")
    assert LocmemSmsBackend.outbox == []
    page.get_by_label("手机号").fill(PHONE_NUMBER)
    page.get_by_label("我已阅读并同意《个人信息保护政策》").check()
    page.get_by_role("button", name="获取验证码").click()
    expect(page).to_have_url(re.compile(r"/register/verify/$"))
    expect(page.locator(".alert-info")).to_contain_text("短信已发送至 139****4321")
    page.get_by_label("验证码").fill(_texted_code(PHONE_NUMBER))
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_role("button", name="注册").click()
    expect(page).to_have_url(re.compile(r"/accounts/bind/$"))
    expect(page.locator(".alert-success")).to_contain_text("注册成功")
    assert PrivacyConsent.objects.filter(user__phone_bidx__isnull=False).count() == 1

    # Log out, forget the password: reset it by a texted code from the login page's link.
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    page.get_by_role("link", name="忘记密码？").click()
    page.get_by_label("手机号").fill(PHONE_NUMBER)
    page.get_by_role("button", name="获取验证码").click()
    expect(page).to_have_url(re.compile(r"/password-reset/verify/$"))
    page.get_by_label("验证码").fill(_texted_code(PHONE_NUMBER))
    page.get_by_label("新密码").fill(NEW_PASSWORD)
    page.get_by_label("确认密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="设置新密码").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator(".alert-success")).to_contain_text("密码已重置")

    # Log in with the mobile number and the new password.
    page.get_by_label("手机号").fill(PHONE_NUMBER)
    page.get_by_label("密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="我的营业厅")).to_be_visible()
    expect(page.get_by_text("尚未绑定户号")).to_be_visible()

    # Bind with the last 6 characters of the holder's ID number (a wrong one first).
    page.locator(".empty").get_by_role("link", name="绑定户号").click()
    expect(page.get_by_role("tab", name="身份证号验证")).to_have_attribute("aria-selected", "true")
    page.get_by_label("户号").fill(account.number)
    page.get_by_label("户主身份证号后 6 位").fill("000000" if id_suffix != "000000" else "111111")
    page.get_by_role("button", name="绑定户号").click()
    expect(page.get_by_role("alert")).to_contain_text("户号与验证信息不符")
    page.get_by_label("户号").fill(account.number)
    page.get_by_label("户主身份证号后 6 位").fill(id_suffix)
    page.get_by_role("button", name="绑定户号").click()

    # The dashboard card: number, category, masked address, status, area.
    card = page.locator(f'.account-card[data-account="{account.number}"]')
    expect(card).to_be_visible()
    expect(card.locator(".account-number")).to_have_text(account.number)
    expect(card.locator(".address")).to_have_text("浙江省杭州市****")
    expect(card).to_contain_text("居民生活")
    expect(card).to_contain_text("正常用电")
    expect(card).to_contain_text(account.area.name)
    expect(page.locator("body")).not_to_contain_text("文三路90号")
    expect(page.locator("#switch-account")).to_have_value(account.number)
    assert PortalBinding.objects.filter(account=account, user__kind="customer", role="owner").count() == 1
    page.screenshot(path=results_dir / "dashboard.png", full_page=True)

    # Switch to English from the header.
    page.locator("header .lang-switch").get_by_role("button", name="EN").click()
    expect(page.get_by_role("heading", name="My business hall")).to_be_visible()
    expect(card).to_contain_text("Residential")
    expect(card).to_contain_text("Active")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.screenshot(path=results_dir / "dashboard-en.png", full_page=True)

    # The same page on a phone: bottom tab bar, one card per row, nothing wider than the screen.
    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator(".main-nav")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    nav_box = page.locator(".main-nav").bounding_box()
    assert nav_box["y"] + nav_box["height"] == pytest.approx(PHONE["height"], abs=2)
    page.screenshot(path=results_dir / "dashboard-mobile.png", full_page=False)

    # Back to Chinese from the footer picker (auto-submits on change).
    page.set_viewport_size(DESKTOP)
    page.locator("#footer-language").select_option("zh-hans")
    expect(page.get_by_role("heading", name="我的营业厅")).to_be_visible()


def _bill_november_and_read_december(account) -> None:
    """November billed from reads 1,000 → 1,300 (300 kWh × 0.538 = ¥161.40, due 16 Dec); December read
    daily to 00:00 on the 4th: 40 kWh so far (¥21.52)."""
    TariffAssignment.objects.create(
        account=account, tariff=Tariff.objects.get(code="ZJ-RES-FLAT"), valid_from=dt.date(2024, 1, 1)
    )
    meter = make_meter(account=account, meter_no="E2E-HOME")
    for day, total in [(dt.date(2026, 11, 1), 1000), (dt.date(2026, 12, 1), 1300)]:
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
    for day, total in [(2, 1310), (3, 1325), (4, 1340)]:
        RegisterRead.objects.create(
            meter=meter, read_at=dt.datetime(2026, 12, day, tzinfo=SHANGHAI), total=Decimal(total)
        )


def test_readme_screenshot_of_a_dashboard_with_two_accounts(live_server, browser_page, results_dir, monkeypatch):
    """Takes the README's picture; writes docs/img/business-hall.png when UPDATE_README_SCREENSHOT=1.
    The money comes first: the current account's amount due with its due date, and this month's cost."""
    from playwright.sync_api import expect

    monkeypatch.setattr(hall, "hall_today", lambda: dt.date(2026, 12, 5))

    page = browser_page
    holder = make_customer(name="李晓红")
    feeder = Feeder.objects.create(code="F-WS-12", name="文三线", substation="古荡变")
    area = TransformerArea.objects.create(code="A-WS-0107", name="文三路7号台区", feeder=feeder)
    user = make_portal_user(phone="13812345678", password=PASSWORD)
    home = make_account(customer=holder, area=area, number="3301020001", premise_address=ADDRESS)
    shop = make_account(
        customer=holder,
        area=area,
        number="3301020002",
        premise_address="浙江省杭州市上城区解放路18号",
        category="commercial",
        voltage_level="380V",
    )
    bind(user=user, account=home)
    bind(user=user, account=shop)
    _bill_november_and_read_december(home)

    page.goto(live_server.url + "/login/")
    page.get_by_label("手机号").fill("13812345678")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator(".account-card")).to_have_count(2)
    money = page.locator('[data-panel="amount-due"]')
    expect(money).to_have_attribute("data-account", home.number)
    expect(money.get_by_test_id("dashboard-amount-due")).to_have_text("¥161.40")
    expect(money).to_contain_text("请于 2026年12月16日 前缴纳。")
    expect(money.get_by_test_id("dashboard-month-cost")).to_have_text("¥21.52")
    expect(money).to_contain_text("12月1日至12月3日用电 40 千瓦时")
    # First on the page: above the account cards.
    assert money.bounding_box()["y"] < page.locator(".account-card").first.bounding_box()["y"]
    page.screenshot(path=results_dir / "dashboard-two-accounts.png", full_page=True)

    page.set_viewport_size(PHONE)
    page.reload()
    expect(money.get_by_test_id("dashboard-amount-due")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=results_dir / "dashboard-money-phone.png", full_page=True)
    page.locator("#footer-language").select_option("en")
    expect(money).to_contain_text("Amount due")
    expect(money).to_contain_text("Please pay by")
    expect(money).to_contain_text("40 kWh from")
    page.screenshot(path=results_dir / "dashboard-money-phone-en.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    page.locator("#footer-language").select_option("zh-hans")
    expect(money.get_by_test_id("dashboard-amount-due")).to_have_text("¥161.40")
    if os.environ.get("UPDATE_README_SCREENSHOT") == "1":
        target = REPO_ROOT / "docs" / "img" / "business-hall.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=target, full_page=True)
