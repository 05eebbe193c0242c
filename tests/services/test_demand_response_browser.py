"""Demand response in a real Chromium: a customer set up like the demo's (enrolled in the residential
day-ahead program, an invitation for tomorrow's peak) logs in, opens the invitation from the nav,
reads the reward estimate, opts in with one tap; after the event is settled, reads the statement
(figures as settled: 4.16 kWh, ¥6.24) and downloads its PDF. Screenshots at 1280px and 390px go to
test-results/e2e/<test>/; the phone layout never scrolls sideways."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from core import clock
from services.actions.demand_response.events import advance_events
from services.actions.demand_response.settlement import settle_event
from services.models import DRParticipation, DRSettlement
from tests.services.dr_helpers import EVENT_DAY, at, enrolled_household, make_program, upcoming_invitation
from tests.support.browser import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.postgres]

PASSWORD = "Pa55word!x"  # tests.factories.make_portal_user's


def _shoot(page, results_dir, name: str) -> None:
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=results_dir / f"{name}-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url
    page.screenshot(path=results_dir / f"{name}-phone.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def _sign_in(page, live_server, user) -> None:
    from playwright.sync_api import expect

    page.goto(live_server.url + "/login/")
    page.get_by_label("手机号").fill(user.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="我的营业厅")).to_be_visible()


def test_customer_opts_in_and_later_reads_the_statement(live_server, browser_page, results_dir, monkeypatch):
    from playwright.sync_api import expect

    moment = {"now": at(dt.date(2026, 8, 11), 18)}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    program = make_program()
    account, _meter, user, _enrolment = enrolled_household(program)
    event, participation = upcoming_invitation(program, account)
    page = browser_page

    _sign_in(page, live_server, user)

    # From the nav to the programs page: enrolled, terms version shown.
    page.locator(".main-nav a[href='/demand-response/']").click()
    programme = page.locator('[data-program="res-day-ahead"]')
    expect(programme.locator('[data-state="enrolled"]')).to_be_visible()
    expect(programme.locator('[data-field="terms-version"]')).to_contain_text("v1")
    _shoot(page, results_dir, "programs")

    # My events: the invitation with its deadline; its page shows the estimate before answering.
    page.goto(live_server.url + "/demand-response/events/")
    invitation = page.locator(f'[data-section="invitations"] [data-event="{event.pk}"]')
    expect(invitation.locator('[data-field="deadline"]')).to_contain_text("2026-08-12 10:00")
    expect(invitation.locator('[data-response="opted_out"]')).to_be_visible()
    invitation.locator("h3 a").click()
    expect(page).to_have_url(re.compile(rf"/demand-response/events/{event.pk}/$"))
    # 50 % of 2.5 kW × 2 h × ¥1.5 = ¥3.75 … 120 %: 3 kW × 2 h × ¥1.5 = ¥9.00.
    expect(page.locator('[data-field="estimate-low"]')).to_have_text("¥3.75")
    expect(page.locator('[data-field="estimate-high"]')).to_have_text("¥9.00")
    _shoot(page, results_dir, "invitation")

    # One tap.
    page.locator('[data-action="opt-in"]').click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator('.facts [data-response="opted_in"]')).to_be_visible()
    participation.refresh_from_db()
    assert (participation.response, participation.answered) == (DRParticipation.Response.OPTED_IN, True)
    assert list(participation.changes.values_list("channel", flat=True)) == ["default", "hall"]

    # The event runs and is settled the next morning.
    advance_events(now=at(EVENT_DAY, 16, 5))
    settle_event(event=event, now=at(dt.date(2026, 8, 13), 9))
    settlement = DRSettlement.objects.get(participation=participation)
    moment["now"] = at(dt.date(2026, 8, 14), 9)
    # Three days later the customer session has long passed its idle timeout: sign in again.
    page.goto(live_server.url + "/demand-response/events/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/demand-response/events/$"))
    _sign_in(page, live_server, user)

    page.goto(live_server.url + "/demand-response/events/")
    page.locator(f'[data-table="past"] [data-event="{event.pk}"] [data-link="statement"]').click()
    expect(page).to_have_url(re.compile(rf"/demand-response/events/{event.pk}/statement/$"))
    # (3.08 − 1.0) kW × 2 h = 4.16 kWh × ¥1.5 = ¥6.24, ratio 2.08 / 2.5 = 0.8320.
    expect(page.locator('[data-field="net"]')).to_have_text(f"¥{settlement.net}")
    expect(page.locator('[data-field="net"]')).to_have_text("¥6.24")
    expect(page.locator('[data-field="verified-kwh"]')).to_have_text("4.160")
    expect(page.locator('[data-field="verified-kw"]')).to_have_text("2.080")
    expect(page.locator('[data-field="ratio"]')).to_have_text("0.8320")
    expect(page.locator('[data-field="days-used"] li')).to_have_count(5)
    expect(page.locator('[data-table="intervals"] tbody tr')).to_have_count(8)
    expect(page.locator("canvas[data-dr-chart]")).to_be_visible()
    _shoot(page, results_dir, "statement")

    with page.expect_download() as download:
        page.locator('[data-link="pdf"]').click()
    assert download.value.suggested_filename == f"dr-statement-{account.number}-20260812-{event.pk}.pdf"
