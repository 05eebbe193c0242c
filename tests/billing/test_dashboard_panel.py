"""The home dashboard puts the money first (issue 17): the amount due now with its due date and overdue
state, and this month's cost so far, each the same figure the bills page, the overdue selector and the
billing engine give (nothing computed a second way)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest

from billing.selectors.bills import bills_for_account
from billing.selectors.overdue import overdue_bills
from billing.services.billing_run import bill_draft_for, run_billing, start_billing_run
from billing.services.ledger import balance
from billing.views import hall
from tests.billing.test_bills import AS_OF, assign, bill_for, read
from tests.factories import bind, make_portal_user

pytestmark = pytest.mark.django_db
DEC = dt.date(2026, 12, 1)


@pytest.fixture
def household(residential, client):
    """November billed (300 kWh × 0.538 = ¥161.40, due 16 Dec); December read daily to the 4th at 00:00:
    10 + 15 + 15 = 40 kWh so far."""
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    for day, total in [("2026-11-01", "1000"), ("2026-12-01", "1300")]:
        read(meter, day, total)
    bill = bill_for(account)
    for day, total in [("2026-12-02", "1310"), ("2026-12-03", "1325"), ("2026-12-04", "1340")]:
        read(meter, day, total)
    user = make_portal_user()
    bind(user=user, account=account)
    client.force_login(user)
    return account, bill


def figure(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">([^<]*)<', html)
    assert match, f"no {testid} on the page"
    return match.group(1)


def dashboard(client, monkeypatch, *, today: dt.date) -> str:
    monkeypatch.setattr(hall, "hall_today", lambda: today)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_amount_due_and_this_months_cost_come_first_and_match_the_bill_and_the_engine(
    household, client, monkeypatch
):
    account, bill = household
    today = dt.date(2026, 12, 5)
    html = dashboard(client, monkeypatch, today=today)

    # First on the page, before the outage notices and the account cards.
    assert html.index('data-panel="amount-due"') < html.index('data-panel="notices"') < html.index("account-card")

    [summary] = [s for s in bills_for_account(account=account, today=today) if s.bill.pk == bill.pk]
    assert summary.outstanding == balance(account=account) == D("161.40")
    assert figure(html, "dashboard-amount-due") == "¥161.40"
    assert "请于 2026年12月16日 前缴纳。" in html
    assert 'data-field="overdue"' not in html

    # The month so far is the engine's draft for 1–3 December (reads to 00:00 on the 4th) ...
    draft = bill_draft_for(account=account, period_start=DEC, period_end=dt.date(2026, 12, 4))
    assert (draft.total_kwh, draft.amount) == (D("40"), D("21.52"))  # 40 × 0.538
    assert figure(html, "dashboard-month-cost") == "¥21.52"
    assert "12月1日至12月3日用电 40 千瓦时" in html
    # ... and a bill for exactly those days, from a billing run, comes to the same fen.
    run = start_billing_run(period_start=DEC, period_end=dt.date(2026, 12, 4), as_of=AS_OF, account_ids=[account.pk])
    run_billing(run_id=run.pk, announce=False)
    assert account.bills.get(period_start=DEC).amount == D("21.52")


def test_an_overdue_bill_is_flagged_by_the_one_overdue_rule(household, client, monkeypatch):
    _account, bill = household
    today = dt.date(2026, 12, 17)  # the day after the due date, nothing paid
    assert list(overdue_bills(on=today).values_list("pk", flat=True)) == [bill.pk]
    html = dashboard(client, monkeypatch, today=today)
    assert figure(html, "dashboard-amount-due") == "¥161.40"
    assert "缴费截止 2026年12月16日，已逾期（¥161.40），每日加收电费违约金。" in html
    assert "money-panel is-overdue" in html


def test_before_any_reading_this_month_the_cost_says_so(household, client, monkeypatch):
    account, _bill = household
    account.meters.first().register_reads.filter(read_at__gt=dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)).delete()
    html = dashboard(client, monkeypatch, today=dt.date(2026, 12, 5))
    assert figure(html, "dashboard-month-cost") == "—"
    assert "本月暂无计量数据。" in html
