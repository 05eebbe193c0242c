"""The usage page (用电分析): a day's load curve, a month's daily totals, a year against the year before
and the month's TOU split, each with a chart payload and the same figures as a table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billing.forms.usage import UsageSelectionForm
from billing.models import Meter, Quality
from billing.selectors.consumption import TOU_REGISTERS
from billing.selectors.meters import account_meters
from billing.selectors.usage import (
    NO_DATA,
    DataRange,
    daily_totals,
    data_range,
    day_curve,
    monthly_totals,
    tou_split,
    usage_fragment_key,
    year_to_date,
)
from core.money import percent, round_kwh
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
    with_data = [(d, d.consumption) for d in days if d.consumption is not None]
    total = sum((c.kwh for _, c in with_data), Decimal(0))
    return {
        "month": month,
        "days": days,
        "has_data": bool(with_data),
        "total": total,
        "average": round_kwh(total / len(with_data)) if with_data else None,
        "peak_day": max(with_data, key=lambda pair: pair[1].kwh)[0] if with_data else None,
        "estimated_days": sum(1 for _, c in with_data if c.estimated),
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
        "change": percent(to_date.this_year - to_date.last_year, to_date.last_year),
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
            {"name": name, "label": labels[name], "kwh": values[name], "share": percent(values[name], tou_total)}
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
    day: dt.date | None = chosen.get("day") or data.last_day
    year: int | None = chosen.get("year") or (month.year if month else None)
    selection = {"day": day, "month": month, "year": year}
    months = _months_between(data.first_month, data.latest_month)
    if month and month not in months:
        months = sorted([*months, month], reverse=True)
    years = sorted({m.year for m in months} | ({year} if year else set()), reverse=True)
    context = {
        "account": account,
        "meters": meters,
        "usage_key": usage_fragment_key(meters=meters),
        "form": form,
        "data": data,
        "has_data": data.last_day is not None or data.last_register_month is not None,
        "selection": selection,
        "month_options": months,
        "year_options": years,
        "day_section": _day_section(meters=meters, day=day, data=data, selection=selection) if day else None,
        "month_section": _month_section(meters=meters, month=month) if month else None,
        "year_section": _year_section(meters=meters, year=year, data=data) if year else None,
        "tou_section": _tou_section(meters=meters, month=month) if month else None,
    }
    return render(request, "billing/usage.html", context)
