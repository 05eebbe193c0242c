"""A staff member's first sign-in with two-factor authentication on, in a real Chromium: password, the
enrolment page (QR code drawn, key shown, no CSP violation), the code their app would show, the
backup codes, and the console — in Chinese."""

from __future__ import annotations

import base64

import pytest
from django_otp.oath import totp

from security import roles
from tests.factories import make_staff
from tests.project.test_csp_browser import LISTEN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_first_staff_sign_in_enrols_an_authenticator(live_server, browser_page, results_dir, settings):
    from playwright.sync_api import expect

    settings.STAFF_2FA_REQUIRED = True
    staff = make_staff(role=roles.BILLING_CLERK)
    page = browser_page
    page.add_init_script(LISTEN)

    page.goto(live_server.url + "/admin/")
    page.locator("#id_username").fill(staff.username)
    page.locator("#id_password").fill("Staff-pa55!")
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/staff/security/2fa/setup/**")
    expect(page.get_by_role("heading", name="设置双因子认证")).to_be_visible()
    assert page.locator('[data-field="qr"] svg').bounding_box()["width"] > 100  # the QR code is drawn
    secret = page.locator('[data-field="secret"]').inner_text()
    page.screenshot(path=results_dir / "setup.png", full_page=True)

    # What the authenticator app computes from the key it scanned (RFC 6238, 30 s steps, 6 digits).
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("验证码").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="确认").click()
    expect(page.locator('[data-list="backup-codes"] li')).to_have_count(10)
    page.screenshot(path=results_dir / "backup-codes.png", full_page=True)
    page.locator('[data-link="continue"]').click()
    page.wait_for_url(live_server.url + "/admin/")
    expect(page.locator("#site-name")).to_contain_text("管理后台")
    assert page.evaluate("window.__cspViolations") == []
