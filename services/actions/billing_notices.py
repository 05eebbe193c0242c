"""Billing reminders before the due date and arrears notices after it, through the notification
service (so preferences, channels, retries and "never twice per event" apply)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from billing.models import Bill
from billing.selectors.overdue import overdue_bills
from billing.services.ledger import OPEN_BILL_STATUSES, outstanding
from billing.services.prepaid import low_balance_accounts
from core.time import local_date
from services.actions.notifications import notify


def _users_of(bill: Bill):
    return get_user_model().objects.filter(bindings__account=bill.account, is_active=True)


def _notify_open_bills(*, bills, event: str, title: str, body) -> int:
    """Notify the users of each bill still owing something; ``body(bill, amount)`` words it."""
    sent = 0
    for bill in bills.select_related("account"):
        amount = outstanding(bill=bill)
        if amount > 0:
            sent += len(
                notify(
                    users=_users_of(bill),
                    kind="bill",
                    event_key=f"bill:{bill.pk}:{event}",
                    title=title,
                    body=body(bill, amount),
                    link="/bills/",
                )
            )
    return sent


def notify_bill_issued(*, bill_id: int) -> int:
    """Tell the users bound to the account that a bill reached them (a held bill released by staff),
    once per bill: the event key is the bill's. Returns notifications sent now."""
    bill = Bill.objects.select_related("account").get(pk=bill_id)
    if bill.status not in OPEN_BILL_STATUSES:
        return 0
    return len(
        notify(
            users=_users_of(bill),
            kind="bill",
            event_key=f"bill:{bill.pk}:issued",
            title="电费账单已出",
            body=(
                f"户号 {bill.account.number} {bill.period_start:%Y年%m月}电费账单已出：¥{bill.amount}，"
                f"请于 {bill.due_date:%Y年%m月%d日} 前缴纳。"
            ),
            link=f"/bills/{bill.pk}/",
        )
    )


def send_bill_reminders(*, as_of: dt.datetime, days_before: int = 3) -> int:
    """Remind the users bound to each unpaid bill due in ``days_before`` days; returns notifications sent."""
    due = local_date(as_of) + dt.timedelta(days=days_before)
    return _notify_open_bills(
        bills=Bill.objects.filter(status__in=OPEN_BILL_STATUSES, due_date=due),
        event="reminder",
        title="电费缴费提醒",
        body=lambda bill, amount: (
            f"户号 {bill.account.number} {bill.period_start:%Y年%m月}电费 ¥{amount}，请于 {bill.due_date:%m月%d日} 前缴纳。"
        ),
    )


def send_arrears_notices(*, as_of: dt.datetime) -> int:
    """One arrears notice per overdue bill that is still not paid in full."""
    today = local_date(as_of)
    return _notify_open_bills(
        bills=overdue_bills(on=today),
        event="overdue",
        title="电费欠费通知",
        body=lambda bill, amount: (
            f"户号 {bill.account.number} {bill.period_start:%Y年%m月}电费 ¥{amount} 已逾期（截止 {bill.due_date:%m月%d日}），"
            "逾期每日加收电费违约金，请尽快缴纳。"
        ),
    )


def send_low_balance_alerts(*, as_of: dt.datetime) -> int:
    """At most one alert a day per prepaid account whose credit is below the customer's threshold."""
    today = local_date(as_of)
    sent = 0
    for prepaid, left in low_balance_accounts():
        sent += len(
            notify(
                users=get_user_model().objects.filter(bindings__account=prepaid.account, is_active=True),
                kind="bill",
                event_key=f"prepaid:{prepaid.account_id}:low:{today.isoformat()}",
                title="预付费余额不足",
                body=f"户号 {prepaid.account.number} 余额 ¥{left}，低于您设置的 ¥{prepaid.low_balance_threshold}，请及时充值以免停电。",
                link="/bills/",
            )
        )
    return sent


def send_billing_notices(*, as_of: dt.datetime) -> dict[str, int]:
    """The day's billing messages: reminders for bills due in three days, arrears notices, prepaid
    low-balance alerts; how many of each were sent."""
    return {
        "reminders": send_bill_reminders(as_of=as_of),
        "arrears": send_arrears_notices(as_of=as_of),
        "low_balance": send_low_balance_alerts(as_of=as_of),
    }
