"""Outage notice to inbox in a real Chromium: a staff user publishes a planned outage for the
customer's transformer area (and another for a different area); the customer logs in, sees it on the
dashboard panel with the affected account, sees the unread badge, opens it in the inbox (which marks it
read), follows it to /notices/. A visitor searches the help pages in Chinese and opens an FAQ answer.
Screenshots at 1280px and 390px go to test-results/e2e/<test>/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from services.actions.outages import publish_outage
from services.knowledge_base import seed_articles
from services.models import Article, Notification, OutageNotice
from tests.factories import bind, make_account, make_area, make_portal_user
from tests.support.browser import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_NUMBER = "13912340077"
PASSWORD = "Dianli-2024!notice"


def _staff():
    """A superuser: transactional tests flush the role groups the migrations created."""
    user = get_user_model().objects.filter(username="e2e-publisher").first()
    return user or get_user_model().objects.create_superuser(
        username="e2e-publisher", password="E2e-publisher-1", kind="staff"
    )


def _outage(*, title: str, area, starts_in: dt.timedelta) -> OutageNotice:
    start = timezone.now() + starts_in
    notice = OutageNotice.objects.create(
        kind=OutageNotice.Kind.PLANNED,
        title=title,
        reason="配电变压器检修",
        starts_at=start,
        expected_end=start + dt.timedelta(hours=6),
    )
    notice.areas.set([area])
    publish_outage(actor=_staff(), notice=notice, as_of=timezone.now())
    return notice


def _no_sideways_scroll(page) -> None:
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def _shoot(page, results_dir, name: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 860})
    page.screenshot(path=results_dir / f"{name}-desktop.png", full_page=True)
    _no_sideways_scroll(page)
    page.screenshot(path=results_dir / f"{name}-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})


def test_customer_sees_the_outage_on_the_dashboard_and_reads_it_in_the_inbox(live_server, browser_page, results_dir):
    from playwright.sync_api import expect

    page = browser_page
    my_area, other_area = make_area(code="E2E-A"), make_area(code="E2E-B")
    account = make_account(area=my_area)
    customer = make_portal_user(phone=PHONE_NUMBER, password=PASSWORD)
    bind(user=customer, account=account)
    bind(user=make_portal_user(), account=make_account(area=other_area))
    mine = _outage(title="文三路配变检修停电", area=my_area, starts_in=dt.timedelta(days=1))
    _outage(title="解放路线路改造停电", area=other_area, starts_in=dt.timedelta(days=1))
    assert Notification.objects.filter(user=customer).count() == 1

    page.goto(live_server.url + "/login/")
    page.get_by_label("手机号").fill(PHONE_NUMBER)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="我的营业厅")).to_be_visible()

    # The dashboard panel: my area's notice, naming my account; not the other area's.
    panel = page.locator('[data-panel="notices"]')
    expect(panel.locator(f'[data-notice="{mine.pk}"]')).to_contain_text("文三路配变检修停电")
    expect(panel.locator(f'[data-notice="{mine.pk}"] [data-affected]')).to_have_text(account.number)
    expect(panel.locator("[data-notice]")).to_have_count(1)
    expect(page.locator("body")).not_to_contain_text("解放路线路改造停电")
    badge = page.locator("header .inbox-btn")
    expect(badge).to_have_attribute("data-unread", "1")
    expect(badge.locator(".count-badge")).to_contain_text("1")
    _shoot(page, results_dir, "dashboard")

    # The inbox: the notice's message, unread, opens to its text and is read from then on.
    badge.click()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    item = page.locator(".inbox-item").first
    expect(item).to_have_class(re.compile(r"\bis-unread\b"))
    expect(item).to_contain_text("计划停电通知：文三路配变检修停电")
    _shoot(page, results_dir, "inbox")
    item.locator("a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("计划停电通知：文三路配变检修停电")
    expect(page.locator(".inbox-body")).to_contain_text("配电变压器检修")
    expect(page.locator("header .inbox-btn")).to_have_attribute("data-unread", "0")
    expect(page.locator("header .inbox-btn .count-badge")).to_have_count(0)
    assert Notification.objects.get(user=customer).read_at is not None

    # Its link leads to the notices page with the same notice.
    page.locator(".inbox-detail a.btn").click()
    expect(page).to_have_url(re.compile(r"/notices/$"))
    expect(page.locator(f'[data-notice="{mine.pk}"]')).to_contain_text("文三路配变检修停电")
    expect(page.locator("[data-notice]")).to_have_count(1)
    _shoot(page, results_dir, "notices")

    page.goto(live_server.url + "/inbox/")
    expect(page.locator(".inbox-item").first).not_to_have_class(re.compile(r"\bis-unread\b"))


def test_visitor_searches_help_in_chinese_and_opens_an_faq_answer(live_server, browser_page, results_dir):
    from playwright.sync_api import expect

    if not Article.objects.exists():  # transactional tests flush the migration-seeded articles
        seed_articles(article_model=Article)
    page = browser_page

    page.goto(live_server.url + "/help/")
    page.locator("#kb-q").fill("阶梯")
    page.locator("#kb-q").press("Enter")
    results = page.locator("[data-results] .kb-item")
    expect(results.first).to_have_attribute("data-slug", "tiered-tariff")
    _shoot(page, results_dir, "search")
    results.first.locator("a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("电费如何计算（阶梯电价说明）")
    expect(page.locator(".kb-body table")).to_contain_text("2761～4800 千瓦时")
    _shoot(page, results_dir, "article")

    page.goto(live_server.url + "/help/faq/")
    answer = page.locator("#faq-trip")
    expect(answer.locator(".kb-body")).to_be_hidden()
    answer.locator("summary").click()
    expect(answer.locator(".kb-body")).to_be_visible()
    expect(answer.locator(".kb-body")).to_contain_text("不要强行合闸")
    _shoot(page, results_dir, "faq")
