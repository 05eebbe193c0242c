"""Business-hall page: tariff advice for the switcher's current account (/tariff-advice/).

Thin: the account comes from customers.access (a customer never reaches another's account; staff are
pointed to the admin console by customer_required), one service call computes the advice, and the
view only shapes it for the template and the hourly chart (drawn by static/js/analytics-dashboard.js
from a json_script payload, with the same figures in a table).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from analytics.services.tariffadvice import MONTHS_WANTED, TariffAdvice, tariff_advice
from core import clock
from customers.access import current_account_for_request, customer_required

# kWh in the hourly chart as the table under it shows them (floatformat:2, half up); the figures keep
# the energy step (core.money.KWH_STEP) everywhere else.
KWH_SHOWN = Decimal("0.01")


def hall_now():
    """The moment the advice is for (its window is the twelve months before this one); tests pin it."""
    return clock.now()


def _month_rows(advice: TariffAdvice) -> list[dict]:
    priced = [o for o in advice.options if o.priced]
    return [
        {
            "month": month,
            "kwh": priced[0].months[i].kwh if priced else None,
            "amounts": [o.months[i].amount for o in priced],
        }
        for i, month in enumerate(advice.months_used)
    ]


def _hour_chart(advice: TariffAdvice) -> dict | None:
    if not advice.hours:
        return None
    # The hours compare the baseline with the alternative: both are there when there are hours.
    assert advice.alternative is not None and advice.baseline is not None
    return {
        "type": "bar",
        "labels": [f"{h.hour:02d}:00" for h in advice.hours],
        "datasets": [
            {
                "label": _("Cost difference (¥): %(other)s − %(base)s")
                % {"other": advice.alternative.tariff.code, "base": advice.baseline.tariff.code},
                "values": [h.difference for h in advice.hours],
            },
            {
                "label": _("kWh"),
                "values": [h.kwh.quantize(KWH_SHOWN, rounding=ROUND_HALF_UP) for h in advice.hours],
                "line": True,
            },
        ],
        "yTitle": "¥",
        "y2Title": "kWh",
    }


@customer_required
def advice(request: HttpRequest) -> HttpResponse:
    account = current_account_for_request(request)
    if account is None:
        return render(request, "analytics/tariffadvice/advice.html", {"account": None})
    result = tariff_advice(account=account, as_of=hall_now())
    context = {
        "account": account,
        "advice": result,
        "months_wanted": MONTHS_WANTED,
        "priced": [o for o in result.options if o.priced],
        "unpriced": [o for o in result.options if not o.priced],
        "month_rows": _month_rows(result),
        "hour_chart": _hour_chart(result),
    }
    return render(request, "analytics/tariffadvice/advice.html", context)
