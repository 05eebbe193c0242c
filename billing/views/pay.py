"""Paying online from the business hall, the page the gateway sends the customer back to, and the
payment history."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.forms.pay import PayForm
from billing.models import Payment
from billing.selectors.payments import access_payment, payments_for_account
from billing.services.ledger import balance
from billing.services.payments import start_hall_payment
from core import clock
from customers.access import current_account_for_request, customer_required


@require_POST
@customer_required
def pay(request: HttpRequest) -> HttpResponse:
    """Start an online payment of one bill's outstanding amount, or of the account's balance, and send
    the customer to the gateway. The amount always comes from our books, never from the form."""
    form = PayForm(request.POST)
    account = current_account_for_request(request)
    if account is None or not form.is_valid():
        raise Http404("Nothing to pay")
    started = start_hall_payment(
        user=request.user,
        account=account,
        bill_id=form.cleaned_data["bill"],
        return_url=reverse("billing_hall:payment_return"),
        as_of=clock.now(),
    )
    if started is None:
        messages.info(request, _("There is nothing to pay right now."))
        return redirect("billing_hall:bills")
    _payment, gateway_url = started
    return redirect(gateway_url)


@customer_required
def payment_return(request: HttpRequest) -> HttpResponse:
    """Where the gateway sends the customer back. Its notification may come before or after them, so
    the page shows what our books say now, and refreshes itself while the payment is still open."""
    payment = access_payment(user=request.user, order_no=request.GET.get("order_no", ""))
    waiting = payment.status in (Payment.Status.PENDING, Payment.Status.UNKNOWN)
    account_balance = balance(account=payment.account)
    context = {"payment": payment, "waiting": waiting, "balance": account_balance, "credit": -account_balance}
    return render(request, "billing/payment_return.html", context)


@customer_required
def payments(request: HttpRequest) -> HttpResponse:
    account = current_account_for_request(request)
    if account is None:
        return render(request, "billing/payments.html", {"account": None})
    page = Paginator(payments_for_account(account=account), 20).get_page(request.GET.get("page"))
    return render(request, "billing/payments.html", {"account": account, "page": page})
