"""What the billing side tells customers, through the notification service (so preferences, channels,
retries and "never twice per event" apply): a bill issued, a payment received or failed, a prepaid
balance fallen below the customer's alert level, reminders before the due date and arrears notices
after it.

Billing never imports this module (services sits above billing): its services enqueue the tasks of
services/tasks.py by name, on commit. Every text is worded in the hall's default language (zh-hans),
whatever language the request or worker that caused it happens to run in: it is stored and sent once,
and the customers who read it (inbox, SMS) read Chinese first. Event keys make each event notify each
user once, however often a task or gateway callback is retried."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from billing.models import Bill, Payment
from billing.selectors.overdue import overdue_bills
from billing.services.ledger import OPEN_BILL_STATUSES, balance, outstanding
from billing.services.prepaid import prepaid_credits
from core.money import round_money
from core.time import local_date
from customers.models import Account
from services.actions.notifications import notify
from services.models import LowBalanceWatch

# Bills a customer is told about once they are issued (a bill paid at once from credit included).
ANNOUNCED_BILL_STATUSES = (Bill.Status.ISSUED, Bill.Status.PARTIALLY_PAID, Bill.Status.PAID)


def yuan(amount: Decimal) -> str:
    """An amount as customers read it in a notice: ¥ and two decimals (half up, like every bill line)."""
    return f"¥{round_money(amount):.2f}"


def _date(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _month(day: dt.date) -> str:
    return formats.date_format(day, "YEAR_MONTH_FORMAT")


def _users_of(account_id: int):
    return get_user_model().objects.filter(bindings__account_id=account_id, is_active=True)


def _notify_open_bills(*, bills, event: str, title: str, body) -> int:
    """Notify the users of each bill still owing something; ``body(bill, amount)`` words it."""
    sent = 0
    for bill in bills.select_related("account"):
        amount = outstanding(bill=bill)
        if amount > 0:
            sent += len(
                notify(
                    users=_users_of(bill.account_id),
                    kind="bill",
                    event_key=f"bill:{bill.pk}:{event}",
                    title=title,
                    body=body(bill, amount),
                    link=reverse("billing_hall:bill", args=[bill.pk]),
                )
            )
    return sent


def bill_issued_text(*, bill: Bill, left_to_pay: Decimal) -> tuple[str, str]:
    """Title and body of the "bill issued" notice; ``left_to_pay`` is what credit did not already pay."""
    values = {
        "account": bill.account.number,
        "month": _month(bill.period_start),
        "amount": yuan(bill.amount),
        "left": yuan(left_to_pay),
        "paid": yuan(bill.amount - left_to_pay),
        "due": _date(bill.due_date) if bill.due_date else "",
    }
    title = _("Electricity bill for %(month)s") % values
    if bill.amount <= 0:
        body = _("Account %(account)s: your bill for %(month)s is %(amount)s; there is nothing to pay.")
    elif left_to_pay <= 0:
        body = _("Account %(account)s: your bill for %(month)s is %(amount)s, paid in full from your credit.")
    elif left_to_pay < bill.amount:
        body = _(
            "Account %(account)s: your bill for %(month)s is %(amount)s. %(paid)s was paid from your credit; "
            "please pay the remaining %(left)s by %(due)s."
        )
    else:
        body = _("Account %(account)s: your bill for %(month)s is %(amount)s. Please pay it by %(due)s.")
    return title, body % values


def notify_bill_issued(*, bill_id: int) -> int:
    """Tell the users bound to the account that a bill reached them (issued by a billing run, a rebill,
    or a held bill released by staff), once per bill: the event key is the bill's. A bill held, voided
    or not committed is not announced. Returns notifications sent now."""
    bill = Bill.objects.select_related("account").filter(pk=bill_id).first()
    if bill is None or bill.status not in ANNOUNCED_BILL_STATUSES:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        title, body = bill_issued_text(bill=bill, left_to_pay=outstanding(bill=bill))
    return len(
        notify(
            users=_users_of(bill.account_id),
            kind="bill",
            event_key=f"bill:{bill.pk}:issued",
            title=title,
            body=body,
            link=reverse("billing_hall:bill", args=[bill.pk]),
        )
    )


def notify_bills_issued(*, bill_ids: Iterable[int], as_of: dt.datetime) -> int:
    """A billing run's chunk of new bills: each announced once, then the prepaid accounts among them
    checked at once (a bill is what usually takes a prepaid credit below its alert level)."""
    bill_ids = list(bill_ids)
    sent = sum(notify_bill_issued(bill_id=bill_id) for bill_id in bill_ids)
    account_ids = Bill.objects.filter(pk__in=bill_ids).values_list("account_id", flat=True).distinct()
    return sent + send_low_balance_alerts(as_of=as_of, account_ids=list(account_ids))


def payment_text(*, payment: Payment, owed_now: Decimal) -> tuple[str, str]:
    """Title and body of the notice of a settled or failed payment; ``owed_now`` is the account's
    balance after it (negative: in credit)."""
    values = {
        "account": payment.account.number,
        "amount": yuan(payment.amount),
        "channel": payment.get_channel_display(),
        "order": payment.order_no,
        "owed": yuan(owed_now),
        "credit": yuan(-owed_now),
    }
    if payment.status == Payment.Status.FAILED:
        title = _("Payment failed")
        body = _(
            "Account %(account)s: your payment of %(amount)s (order %(order)s) did not go through and no money "
            "was taken. You can pay again in the business hall."
        )
        return title, body % values
    title = _("Payment received")
    months = sorted({allocation.bill.period_start for allocation in payment.allocations.select_related("bill")})
    if months:
        values["months"] = "、".join(_month(month) for month in months)
        received = _(
            "Account %(account)s: we received your payment of %(amount)s through %(channel)s; it paid your bill "
            "for %(months)s."
        )
    else:
        received = _("Account %(account)s: we received your payment of %(amount)s through %(channel)s.")
    if owed_now > 0:
        after = _("Still to pay: %(owed)s.")
    elif owed_now < 0:
        after = _("Credit on the account: %(credit)s.")
    else:
        after = _("Nothing is due now.")
    # Translators: two sentences in a row (Chinese sets no space between them).
    body = _("%(sentence)s %(next)s") % {"sentence": received % values, "next": after % values}
    return title, body


def notify_payment(*, payment_id: int, as_of: dt.datetime) -> int:
    """Tell the account's users a payment succeeded or failed, once per payment and outcome (a payment
    still pending tells nothing); a top-up that lifted a prepaid credit back above its alert level
    re-arms the low-balance alert. Returns notifications sent now."""
    payment = Payment.objects.select_related("account").get(pk=payment_id)
    if payment.status not in (Payment.Status.SUCCEEDED, Payment.Status.FAILED):
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        title, body = payment_text(payment=payment, owed_now=balance(account=payment.account))
    succeeded = payment.status == Payment.Status.SUCCEEDED
    sent = notify(
        users=_users_of(payment.account_id),
        kind="bill",
        event_key=f"payment:{payment.pk}:{payment.status}",
        title=title,
        body=body,
        link=reverse("billing_hall:payments") if succeeded else reverse("billing_hall:bills"),
    )
    return len(sent) + (send_low_balance_alerts(as_of=as_of, account_ids=[payment.account_id]) if succeeded else 0)


def send_bill_reminders(*, as_of: dt.datetime, days_before: int = 3) -> int:
    """Remind the users bound to each unpaid bill due in ``days_before`` days; returns notifications sent."""
    due = local_date(as_of) + dt.timedelta(days=days_before)
    with translation.override(settings.LANGUAGE_CODE):
        return _notify_open_bills(
            bills=Bill.objects.filter(status__in=OPEN_BILL_STATUSES, due_date=due),
            event="reminder",
            title=_("Electricity bill reminder"),
            body=lambda bill, amount: (
                _("Account %(account)s: %(amount)s is due for %(month)s; please pay by %(due)s.")
                % {
                    "account": bill.account.number,
                    "amount": yuan(amount),
                    "month": _month(bill.period_start),
                    "due": _date(bill.due_date),
                }
            ),
        )


def send_arrears_notices(*, as_of: dt.datetime) -> int:
    """One arrears notice per overdue bill that is still not paid in full."""
    today = local_date(as_of)
    with translation.override(settings.LANGUAGE_CODE):
        return _notify_open_bills(
            bills=overdue_bills(on=today),
            event="overdue",
            title=_("Electricity bill overdue"),
            body=lambda bill, amount: (
                _(
                    "Account %(account)s: %(amount)s for %(month)s is overdue (due %(due)s). A late-payment fee "
                    "accrues every day; please pay as soon as you can."
                )
                % {
                    "account": bill.account.number,
                    "amount": yuan(amount),
                    "month": _month(bill.period_start),
                    "due": _date(bill.due_date),
                }
            ),
        )


def low_balance_text(*, account: Account, credit: Decimal, threshold: Decimal) -> tuple[str, str]:
    values = {"account": account.number, "credit": yuan(credit), "threshold": yuan(threshold)}
    title = _("Prepaid balance low")
    body = _(
        "Account %(account)s: your balance is %(credit)s, below the %(threshold)s you set. Please top up soon "
        "so the supply is not cut off."
    )
    return title, body % values


def send_low_balance_alerts(*, as_of: dt.datetime, account_ids: Iterable[int] | None = None) -> int:
    """One alert each time a prepaid account's credit falls below the customer's alert level (of
    ``account_ids``, default every prepaid account): an account that stays low is not told again the
    next day, and one lifted back up by a top-up is told again when it next falls. Returns alerts sent."""
    credits = prepaid_credits(account_ids=account_ids)
    watches = {
        watch.account_id: watch
        for watch in LowBalanceWatch.objects.filter(account_id__in=[prepaid.account_id for prepaid, _ in credits])
    }
    sent = 0
    for prepaid, left in credits:
        is_low = left < prepaid.low_balance_threshold
        known = watches.get(prepaid.account_id)
        if (known.is_low if known else False) == is_low:
            continue  # no crossing since last time: most accounts on most days, without a write
        with transaction.atomic():
            watch, _created = LowBalanceWatch.objects.select_for_update().get_or_create(account_id=prepaid.account_id)
            if watch.is_low == is_low:
                continue  # a concurrent check got here first
            watch.is_low = is_low
            watch.crossings += int(is_low)
            watch.changed_at = as_of
            watch.save(update_fields=["is_low", "crossings", "changed_at"])
            if not is_low:
                continue
            with translation.override(settings.LANGUAGE_CODE):
                title, body = low_balance_text(
                    account=prepaid.account, credit=left, threshold=prepaid.low_balance_threshold
                )
            sent += len(
                notify(
                    users=_users_of(prepaid.account_id),
                    kind="bill",
                    event_key=f"prepaid:{prepaid.account_id}:low:{watch.crossings}",
                    title=title,
                    body=body,
                    link=reverse("billing_hall:bills"),
                )
            )
    return sent


def send_billing_notices(*, as_of: dt.datetime) -> dict[str, int]:
    """The day's billing messages: reminders for bills due in three days, arrears notices, prepaid
    low-balance alerts (for falls the bill and payment notices did not already catch); how many of each
    were sent."""
    return {
        "reminders": send_bill_reminders(as_of=as_of),
        "arrears": send_arrears_notices(as_of=as_of),
        "low_balance": send_low_balance_alerts(as_of=as_of),
    }
