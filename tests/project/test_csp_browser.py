"""Content-Security-Policy (django-csp), Referrer-Policy and Permissions-Policy: every response carries
them, and the business hall and the admin console, loaded in a real Chromium, raise no CSP violation
(no inline script or handler anywhere; listened to on ``securitypolicyviolation`` and the console)."""

from __future__ import annotations

import datetime as dt

import pytest

from security import roles
from tests.factories import SHANGHAI, bind, make_account, make_meter, make_portal_user, make_staff

PHONE_NUMBER = "13912345009"
PASSWORD = "Dianli-2024!csp"
STAFF_PASSWORD = "Staff-2024!csp-x"

LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.mark.django_db
def test_every_page_carries_csp_referrer_and_permissions_policy(client):
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert "'unsafe-inline'" not in directives["script-src"] and "'self'" in directives["script-src"]
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert "Content-Security-Policy" in client.get("/admin/login/") and "Permissions-Policy" in client.get(
        "/api/v1/bills"
    )


def _watch(page, seen: list[str]) -> None:
    page.add_init_script(LISTEN)
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None)


def _violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_business_hall_and_admin_pages_raise_no_csp_violation(live_server, browser_page):
    user = make_portal_user(phone=PHONE_NUMBER, password=PASSWORD)
    account = make_account()
    bind(user=user, account=account)
    make_meter(account=account, meter_no="CSP-1", installed_at=dt.datetime(2026, 1, 1, tzinfo=SHANGHAI))
    staff = make_staff(role=roles.SYSTEM_ADMINISTRATOR)
    staff.set_password(STAFF_PASSWORD)
    staff.save()
    page, seen, visited = browser_page, [], {}
    _watch(page, seen)

    for path in ["/register/", "/password-reset/", "/privacy/"]:  # the visitor's pages
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        visited[path] = _violations(page)
    page.goto(live_server.url + "/login/")
    page.get_by_label("手机号").fill(PHONE_NUMBER)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state("networkidle")
    for path in ["/", "/accounts/", "/bills/", "/usage/", "/bills/payments/", "/profile/", "/notices/", "/help/"]:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        visited[path] = _violations(page)

    # Control: an injected inline script is blocked and reported, so the listener does hear violations.
    ran = page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
        " document.body.appendChild(s); return window.__ran || 0; }"
    )
    page.wait_for_timeout(200)
    control = _violations(page)
    assert ran == 0 and any(v.startswith("script-src") for v in control), control
    seen.clear()

    admin = page.context.browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    _watch(admin, seen)
    admin.goto(live_server.url + "/admin/login/")
    admin.fill("#id_username", staff.username)
    admin.fill("#id_password", STAFF_PASSWORD)
    admin.locator("input[type=submit]").click()
    admin.wait_for_load_state("networkidle")
    for path in [
        "/admin/",
        "/admin/customers/customer/",
        "/admin/customers/customer/add/",
        "/admin/security/user/",
        f"/admin/security/user/{staff.pk}/change/",
        "/admin/security/auditevent/",
    ]:
        admin.goto(live_server.url + path)
        admin.wait_for_load_state("networkidle")
        visited[path] = _violations(admin)
    admin.context.close()

    assert {path: found for path, found in visited.items() if found} == {}
    assert seen == []
    assert len(visited) == 17
