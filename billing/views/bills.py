"""The bill pages (电费账单): the list with the balance and the tier bar, one bill's lines, reads and
payments, and its PDF."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from billing.forms.pay import PayForm
from billing.selectors.bills import access_bill, bill_detail, bills_for_account
from billing.selectors.tariffs import tier_progress
from billing.services.bill_pdf import pdf_filename, render_bill_pdf
from billing.services.ledger import balance
from billing.views import hall
from customers.access import current_account_for_request, customer_required


@customer_required
def bills(request: HttpRequest) -> HttpResponse:
    account = current_account_for_request(request)
    if account is None:
        return render(request, "billing/bills.html", {"account": None})
    today = hall.hall_today()
    summaries = bills_for_account(account=account, today=today)
    account_balance = balance(account=account)
    context = {
        "account": account,
        "bills": summaries,
        "balance": account_balance,
        "credit": -account_balance,
        "overdue": [s for s in summaries if s.state == "overdue"],
        "tier": tier_progress(account=account, on=today),
        "pay_form": PayForm(),
    }
    return render(request, "billing/bills.html", context)


@customer_required
def bill_view(request: HttpRequest, bill_id: int) -> HttpResponse:
    detail = bill_detail(summary=access_bill(user=request.user, bill_id=bill_id, today=hall.hall_today()))
    bill = detail.summary.bill
    context = {
        "detail": detail,
        "bill": bill,
        "lines": hall.priced_lines(detail.lines),
        "last_day": bill.period_end - dt.timedelta(days=1),
    }
    return render(request, "billing/bill_detail.html", context)


@customer_required
def bill_pdf(request: HttpRequest, bill_id: int) -> HttpResponse:
    bill = access_bill(user=request.user, bill_id=bill_id, today=hall.hall_today()).bill
    response = HttpResponse(render_bill_pdf(bill=bill), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(bill=bill)}"'
    return response
