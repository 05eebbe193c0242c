"""Every business-hall page, in both languages, at desktop and phone width: no sideways scrolling,
no untranslated Chinese page in English (or vice versa), and a screenshot of each for review."""

from __future__ import annotations

import pytest

from tests.factories import bind, make_account, make_area, make_customer, make_portal_user
from tests.support.browser import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Dianli-2024!hall"
CUSTOMER_PAGES = [
    ("dashboard", "/"),
    ("accounts", "/accounts/"),
    ("bind-id", "/accounts/bind/"),
    ("bind-sms", "/accounts/bind/?method=sms"),
    ("unbind", "/accounts/3301020002/unbind/"),
    ("profile", "/profile/"),
    ("password", "/profile/password/"),
    ("inbox", "/inbox/"),
    ("notices", "/notices/"),
]
VISITOR_PAGES = [
    ("landing", "/"),
    ("login", "/login/"),
    ("register", "/register/"),
    ("password-reset", "/password-reset/"),
    ("privacy", "/privacy/"),
    ("help", "/help/"),
]
HEADINGS = {
    "zh-hans": {
        "dashboard": "我的营业厅",
        "landing": "用电业务，网上办理",
        "login": "登录网上营业厅",
        "locked-out": "登录已暂时锁定",
    },
    "en": {
        "dashboard": "My business hall",
        "landing": "Your electricity services, online",
        "login": "Log in to the business hall",
        "locked-out": "Login temporarily locked",
    },
}


def _set_language(page, base_url: str, language: str) -> None:
    """Use the footer's language form, as a visitor would (the CSRF cookie and token then match)."""
    page.goto(base_url + "/login/")
    with page.expect_navigation():
        page.locator("#footer-language").select_option(language)  # auto-submits
    assert page.locator("html").get_attribute("lang") == language


def _check(page, *, name: str, language: str, viewport: dict, results_dir) -> None:
    page.set_viewport_size(viewport)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{name} [{language}] scrolls sideways at {viewport['width']}px: {width}px"
    assert page.locator("html").get_attribute("lang") == language
    heading = HEADINGS[language].get(name)
    if heading:
        assert page.get_by_role("heading", level=1).inner_text() == heading
    label = "phone" if viewport is PHONE else "desktop"
    page.screenshot(path=results_dir / f"{name}-{language}-{label}.png", full_page=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_fits_desktop_and_phone(live_server, browser_page, results_dir, language):
    page = browser_page
    holder = make_customer(name="李晓红")
    area = make_area()
    make_portal_user(phone="13812345678", password=PASSWORD)
    home = make_account(customer=holder, area=area, number="3301020001")
    shop = make_account(
        customer=holder,
        area=area,
        number="3301020002",
        premise_address="浙江省杭州市上城区解放路18号",
        category="commercial",
        voltage_level="380V",
    )
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.matching("phone", "13812345678").get()
    bind(user=user, account=home)
    bind(user=user, account=shop)

    _set_language(page, live_server.url, language)
    for name, path in VISITOR_PAGES:
        page.goto(live_server.url + path)
        for viewport in (DESKTOP, PHONE):
            _check(page, name=name, language=language, viewport=viewport, results_dir=results_dir)

    # Error states a customer is likely to meet: a lockout after repeated wrong passwords (django-axes) ...
    from django.conf import settings

    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        page.goto(live_server.url + "/login/")
        page.locator("#id_username").fill("13800000000")
        page.locator("#id_password").fill("not-the-password")
        with page.expect_navigation():  # the next check must see the answer, not the old page
            page.locator("main form button[type=submit]").click()
    for viewport in (DESKTOP, PHONE):
        _check(page, name="locked-out", language=language, viewport=viewport, results_dir=results_dir)

    # ... and registration mistakes.
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + "/register/")
    page.locator("#id_phone").fill("123")  # and the privacy consent left unticked
    with page.expect_navigation():  # the next check must see the answer, not the old page
        page.locator("main form button[type=submit]").click()
    for viewport in (DESKTOP, PHONE):
        _check(page, name="register-errors", language=language, viewport=viewport, results_dir=results_dir)

    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + "/login/")
    page.locator("#id_username").fill("13812345678")
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():  # the next check must see the answer, not the old page
        page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server.url + "/")
    for name, path in CUSTOMER_PAGES:
        page.set_viewport_size(DESKTOP)
        page.goto(live_server.url + path)
        for viewport in (DESKTOP, PHONE):
            _check(page, name=name, language=language, viewport=viewport, results_dir=results_dir)

    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + "/accounts/bind/")
    page.locator("#id_account_number").first.fill("3301020001")
    page.locator("#id_id_number_last6").fill("ABCDEF")
    with page.expect_navigation():  # the next check must see the answer, not the old page
        page.locator("#panel-id button[type=submit]").click()
    for viewport in (DESKTOP, PHONE):
        _check(page, name="bind-error", language=language, viewport=viewport, results_dir=results_dir)

    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + "/accounts/bind/?method=sms")
    page.locator("#panel-sms #id_account_number").fill(home.number)
    with page.expect_navigation():  # the next check must see the answer, not the old page
        page.locator("#panel-sms button[type=submit]").click()
    for viewport in (DESKTOP, PHONE):
        _check(page, name="bind-sms-sent", language=language, viewport=viewport, results_dir=results_dir)
