"""Business-hall pages of the billing app for the switcher's current account: usage (用电分析), bills
(电费账单) with their PDF, online payment and its return page, payment history, the quote calculator.

Thin: pick the account through customers.access, read everything through billing.selectors (SQL
aggregation; usage charts get their data as a ``json_script`` payload with an accessible table beside),
and make each write one service call. Pages may read the clock (services never do): ``hall_today``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.forms import PayForm, QuoteForm, UsageSelectionForm
from billing.models import Meter, Payment, Quality
from billing.selectors.bills import access_bill, bill_detail, bills_for_account
from billing.selectors.consumption import TOU_REGISTERS
from billing.selectors.meters import account_meters
from billing.selectors.payments import access_payment, payments_for_account
from billing.selectors.tariffs import (
    billed_kwh_in_year,
    consumption_periods,
    quote_tariffs,
    tariff_version_on,
    tier_progress,
)
from billing.selectors.usage import (
    NO_DATA,
    DataRange,
    daily_totals,
    data_range,
    day_curve,
    monthly_totals,
    tou_split,
    year_to_date,
)
from billing.services.bill_pdf import pdf_filename, render_bill_pdf
from billing.services.ledger import balance
from billing.services.payments import start_online_payment
from billing.services.tariffs.engine import QuoteError, QuoteInput
from billing.services.tariffs.quotes import quote_tariff
from core import clock
from core.months import add_months
from customers.access import current_account_for_request, customer_required


def _quality_labels() -> dict[str, str]:
    return {q.name.lower(): str(q.label) for q in Quality}


def _month_label(month: int) -> str:
    # Translators: a Django date format for the month labels of the usage charts: "M" gives "Mar";
    # Chinese uses "n月", which gives "3月".
    return date_format(dt.date(2000, month, 1), _("M"))


def _tou_labels() -> dict[str, str]:
    return {"sharp": _("Sharp peak"), "peak": _("Peak"), "flat": _("Flat"), "valley": _("Valley")}


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part * 100 / whole).quantize(Decimal("0.1")) if whole else None


def _query(selection: dict, **changes) -> str:
    values = {**selection, **changes}
    params = {
        "day": values["day"].isoformat() if values.get("day") else None,
        "month": values["month"].strftime("%Y-%m") if values.get("month") else None,
        "year": values.get("year"),
    }
    return "?" + urlencode({k: v for k, v in params.items() if v is not None})


def _day_section(*, meters: list[Meter], day: dt.date, data: DataRange, selection: dict) -> dict:
    curve = day_curve(meters=meters, day=day)
    step = dt.timedelta(days=1)
    return {
        "curve": curve,
        "prev_url": _query(selection, day=day - step) + "#usage-day" if data.first_day and day > data.first_day else "",
        "next_url": _query(selection, day=day + step) + "#usage-day" if data.last_day and day < data.last_day else "",
        "chart": {
            "labels": [p.start.strftime("%H:%M") for p in curve.points],
            "values": [p.kwh for p in curve.points],
            "quality": [p.quality for p in curve.points],
            "series": _("kWh per %(minutes)d minutes") % {"minutes": curve.interval_minutes},
            "qualityLabels": _quality_labels(),
            "missingLabel": _("No reading"),
            "xTitle": _("Time"),
        },
    }


def _month_section(*, meters: list[Meter], month: dt.date) -> dict:
    days = daily_totals(meters=meters, month=month)
    with_data = [d for d in days if d.consumption is not None]
    total = sum((d.consumption.kwh for d in with_data), Decimal(0))
    return {
        "month": month,
        "days": days,
        "has_data": bool(with_data),
        "total": total,
        "average": (total / len(with_data)).quantize(Decimal("0.01")) if with_data else None,
        "peak_day": max(with_data, key=lambda d: d.consumption.kwh) if with_data else None,
        "estimated_days": sum(1 for d in with_data if d.consumption.estimated),
        "chart": {
            "labels": [str(d.day.day) for d in days],
            "titles": [date_format(d.day, _("M j (D)")) for d in days],
            "values": [d.consumption.kwh if d.consumption else None for d in days],
            "estimated": [bool(d.consumption and d.consumption.estimated) for d in days],
            "series": _("kWh per day"),
            "estimatedLabel": _("Includes estimated intervals"),
            "xTitle": _("Day of month"),
        },
    }


def _year_section(*, meters: list[Meter], year: int, data: DataRange) -> dict:
    months = monthly_totals(meters=meters, year=year)
    this_year = [m.this_year.kwh if m.this_year else None for m in months]
    last_year = [m.last_year.kwh if m.last_year else None for m in months]
    to_date = year_to_date(meters=meters, year=year, last_day=data.last_day)
    return {
        "year": year,
        "rows": [{"label": _month_label(m.month), "this_year": m.this_year, "last_year": m.last_year} for m in months],
        "has_data": any(v is not None for v in this_year + last_year),
        "total": to_date.this_year,
        "through": to_date.through,
        "change": _share(to_date.this_year - to_date.last_year, to_date.last_year),
        "chart": {
            "labels": [_month_label(m.month) for m in months],
            "datasets": [
                {"label": str(year), "values": this_year},
                {"label": str(year - 1), "values": last_year},
            ],
            "xTitle": _("Month"),
        },
    }


def _tou_section(*, meters: list[Meter], month: dt.date) -> dict:
    split = tou_split(meters=meters, month=month)
    labels = _tou_labels()
    if split is None or not split.has_tou:
        return {"month": month, "split": split, "rows": []}
    values = {name: getattr(split, name) for name in TOU_REGISTERS}
    tou_total = sum(values.values(), Decimal(0))
    return {
        "month": month,
        "split": split,
        "tou_total": tou_total,
        "rows": [
            {"name": name, "label": labels[name], "kwh": values[name], "share": _share(values[name], tou_total)}
            for name in TOU_REGISTERS
        ],
        "chart": {
            "keys": list(TOU_REGISTERS),
            "labels": [labels[n] for n in TOU_REGISTERS],
            "values": list(values.values()),
        },
    }


def _months_between(first: dt.date | None, last: dt.date | None) -> list[dt.date]:
    if first is None or last is None:
        return []
    months, month = [], last
    while month >= first:
        months.append(month)
        month = add_months(month, -1)
    return months


@customer_required
def usage(request: HttpRequest) -> HttpResponse:
    account = current_account_for_request(request)
    if account is None:
        return render(request, "billing/usage.html", {"account": None})
    meters = account_meters(account=account)
    data = data_range(meters=meters) if meters else NO_DATA
    form = UsageSelectionForm(request.GET)
    form.is_valid()  # an invalid picker value falls back to the default; the picker shows its error
    chosen = form.cleaned_data
    month = chosen.get("month") or data.latest_month
    selection = {
        "day": chosen.get("day") or data.last_day,
        "month": month,
        "year": chosen.get("year") or (month.year if month else None),
    }
    months = _months_between(data.first_month, data.latest_month)
    if month and month not in months:
        months = sorted([*months, month], reverse=True)
    years = sorted({m.year for m in months} | ({selection["year"]} if selection["year"] else set()), reverse=True)
    context = {
        "account": account,
        "meters": meters,
        "form": form,
        "data": data,
        "has_data": data.last_day is not None or data.last_register_month is not None,
        "selection": selection,
        "month_options": months,
        "year_options": years,
        "day_section": _day_section(meters=meters, day=selection["day"], data=data, selection=selection)
        if selection["day"]
        else None,
        "month_section": _month_section(meters=meters, month=month) if month else None,
        "year_section": _year_section(meters=meters, year=selection["year"], data=data) if selection["year"] else None,
        "tou_section": _tou_section(meters=meters, month=month) if month else None,
    }
    return render(request, "billing/usage.html", context)


# --- bills, payments, quotes ---------------------------------------------------------------------------


def hall_today() -> dt.date:
    """The customer's calendar day (Asia/Shanghai): decides "overdue" and the tier year."""
    return clock.today()


def rate_text(rate: Decimal) -> str:
    """A unit rate as customers read it: the stored five decimals without trailing zeros, at least two
    ("0.53800" → "0.538", "30.00000" → "30.00")."""
    whole, _sep, decimals = f"{rate:f}".partition(".")
    decimals = decimals.rstrip("0").ljust(2, "0")
    return f"{whole}.{decimals}"


def _priced_lines(lines) -> list[dict]:
    return [{"line": line, "rate": rate_text(line.rate)} for line in lines]


def _account(request: HttpRequest):
    return current_account_for_request(request)


@customer_required
def bills(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    if account is None:
        return render(request, "billing/bills.html", {"account": None})
    today = hall_today()
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
    detail = bill_detail(summary=access_bill(user=request.user, bill_id=bill_id, today=hall_today()))
    bill = detail.summary.bill
    context = {
        "detail": detail,
        "bill": bill,
        "lines": _priced_lines(detail.lines),
        "last_day": bill.period_end - dt.timedelta(days=1),
    }
    return render(request, "billing/bill_detail.html", context)


@customer_required
def bill_pdf(request: HttpRequest, bill_id: int) -> HttpResponse:
    bill = access_bill(user=request.user, bill_id=bill_id, today=hall_today()).bill
    response = HttpResponse(render_bill_pdf(bill=bill), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(bill=bill)}"'
    return response


@require_POST
@customer_required
def pay(request: HttpRequest) -> HttpResponse:
    """Start an online payment of one bill's outstanding amount, or of the account's balance, and send
    the customer to the gateway. The amount always comes from our books, never from the form."""
    form = PayForm(request.POST)
    account = _account(request)
    if account is None or not form.is_valid():
        raise Http404("Nothing to pay")
    if form.cleaned_data["bill"]:
        summary = access_bill(user=request.user, bill_id=form.cleaned_data["bill"], today=hall_today())
        account, amount = summary.bill.account, summary.outstanding if summary.payable else Decimal(0)
    else:
        amount = balance(account=account)
    if amount <= 0:
        messages.info(request, _("There is nothing to pay right now."))
        return redirect("billing_hall:bills")
    _payment, gateway_url = start_online_payment(
        user=request.user,
        account=account,
        amount=amount,
        return_url=reverse("billing_hall:payment_return"),
        as_of=clock.now(),
    )
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
    account = _account(request)
    if account is None:
        return render(request, "billing/payments.html", {"account": None})
    page = Paginator(payments_for_account(account=account), 20).get_page(request.GET.get("page"))
    return render(request, "billing/payments.html", {"account": account, "page": page})


def _quote_error_message(field: str | None) -> str:
    messages_by_field = {
        "power_factor": _("Enter a power factor between 0 and 1, e.g. 0.90."),
        "contracted_kva": _("Enter the contracted capacity in kVA."),
        "annual_kwh_before": _("The kWh already used this year cannot be negative."),
        "month": _("This tariff has no prices for that month. Pick another month."),
    }
    if field and field.startswith("kwh_"):
        return _("These kWh cannot be priced on this tariff. Check the figures and try again.")
    return messages_by_field.get(field or "", _("This consumption cannot be priced on this tariff."))


@customer_required
def quote(request: HttpRequest) -> HttpResponse:
    """ "What would 300 kWh cost me": prices kWh on the account's tariff (or another of its category)
    with the same quote service the API and the billing run use. Read-only, so a GET form."""
    account = _account(request)
    if account is None:
        return render(request, "billing/quote.html", {"account": None})
    today = hall_today()
    current, tariffs = quote_tariffs(account=account, on=today)
    tariff = next((t for t in tariffs if t.code == request.GET.get("tariff")), current or next(iter(tariffs), None))
    version = tariff_version_on(tariff=tariff, on=today) if tariff else None
    context = {"account": account, "current": current, "tariffs": tariffs, "tariff": tariff, "version": version}
    if version is None:
        return render(request, "billing/quote.html", context)
    form = QuoteForm(
        request.GET if "month" in request.GET else None,
        initial={
            "tariff": tariff.code,
            "month": today.strftime("%Y-%m"),
            "annual_kwh_before": billed_kwh_in_year(account=account, year=today.year).quantize(Decimal("0.01")),
            "contracted_kva": account.contracted_kva,
            "power_factor": "0.90",
        },
        periods=consumption_periods(version=version),
        tiered=version.tier1_max_kwh is not None,
        two_part=version.capacity_rate is not None or version.power_factor_standard is not None,
    )
    result = None
    if form.is_bound and form.is_valid():
        month = form.cleaned_data["month"]
        annual = form.cleaned_data.get("annual_kwh_before")
        if annual is None:  # left empty: what this account was billed earlier in that tier year
            annual = billed_kwh_in_year(account=account, year=month.year, before=month)
        try:
            result = quote_tariff(
                code=tariff.code,
                data=QuoteInput(
                    period_start=month,
                    period_end=add_months(month, 1),
                    consumption=form.consumption(),
                    annual_kwh_before=annual,
                    contracted_kva=form.cleaned_data.get("contracted_kva"),
                    power_factor=form.cleaned_data.get("power_factor"),
                ),
            )
        except QuoteError as error:
            field = form.field_for_error(error.field)
            form.add_error(field, _quote_error_message(field))
        else:
            context["annual_kwh_before"] = annual
    context.update({"form": form, "result": result, "lines": _priced_lines(result.lines) if result else []})
    return render(request, "billing/quote.html", context)
