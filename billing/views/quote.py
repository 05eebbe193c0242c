"""The quote calculator ("what would 300 kWh cost me")."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from billing.forms.quote import QuoteForm, as_kwh_input
from billing.selectors.tariffs import billed_kwh_in_year, consumption_periods, quote_tariffs, tariff_version_on
from billing.services.tariffs.engine import QuoteError, QuoteInput
from billing.services.tariffs.quotes import quote_tariff
from billing.views import hall
from core.months import next_month
from customers.access import current_account_for_request, customer_required


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
    account = current_account_for_request(request)
    if account is None:
        return render(request, "billing/quote.html", {"account": None})
    today = hall.hall_today()
    current, tariffs = quote_tariffs(account=account, on=today)
    tariff = next((t for t in tariffs if t.code == request.GET.get("tariff")), current or next(iter(tariffs), None))
    version = tariff_version_on(tariff=tariff, on=today) if tariff else None
    context: dict[str, Any] = {
        "account": account,
        "current": current,
        "tariffs": tariffs,
        "tariff": tariff,
        "version": version,
    }
    if version is None:
        return render(request, "billing/quote.html", context)
    assert tariff is not None  # the version is the tariff's
    form = QuoteForm(
        request.GET if "month" in request.GET else None,
        initial={
            "tariff": tariff.code,
            "month": today.strftime("%Y-%m"),
            "annual_kwh_before": as_kwh_input(billed_kwh_in_year(account=account, year=today.year)),
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
                    period_end=next_month(month),
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
    context.update({"form": form, "result": result, "lines": hall.priced_lines(result.lines) if result else []})
    return render(request, "billing/quote.html", context)
