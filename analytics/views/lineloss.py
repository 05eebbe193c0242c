"""Staff pages for line loss (staff/analytics/line-loss/): the monthly area ranking, one area's days
with a chart, and the suspicion list — each table also as CSV or Excel (``?export=csv|xlsx``).

Staff console look (admin/base_site.html). Anonymous users go to the admin login; signed-in users who
are not staff (business-hall customers) or lack the view permission get 403."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from analytics.forms.lineloss import RankingFilterForm, SuspectFilterForm
from analytics.selectors.lineloss import (
    area_by_code,
    area_loss_days,
    area_loss_months,
    area_month_ranking,
    default_loss_month,
    last_loss_day,
    loss_months,
)
from analytics.services.lineloss_suspects import loss_suspects
from core import clock
from core.months import next_month
from core.web.exports import rows_response
from core.web.gates import staff_permission_required

VIEW_MONTH = "analytics.view_arealossmonth"
VIEW_DAY = "analytics.view_arealossday"
AREA_DAYS = 90  # an area page without a month shows this many days up to the latest computed one


EXPORT_FORMATS = ("csv", "xlsx")


def _export(*, fmt: str, filename: str, headers: list[str], rows: Iterable[list]) -> HttpResponse:
    return rows_response(fmt=fmt, filename=filename, headers=headers, rows=rows)


def _percent(value) -> float | None:
    return None if value is None else round(float(value) * 100, 3)


def _flags(row) -> str:
    return " ".join(row.flag_names)


def _context(request: HttpRequest, **extra) -> dict:
    return {**admin.site.each_context(request), **extra}


@staff_permission_required(VIEW_MONTH)
def ranking(request: HttpRequest) -> HttpResponse:
    form = RankingFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    months = loss_months()
    month = filters.get("month") or default_loss_month(months=months, today=clock.today())
    rows = []
    if month is not None:
        rows = list(
            area_month_ranking(
                month=month,
                feeder_code=filters["feeder"].code if filters.get("feeder") else None,
                area_code=filters.get("area") or None,
                flagged_only=bool(filters.get("flagged")),
            )
        )
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS and month is not None:
        return _export(
            fmt=fmt,
            filename=f"line-loss-{month:%Y-%m}",
            headers=[
                "area",
                "name",
                "feeder",
                "month",
                "supplied_kwh",
                "consumed_kwh",
                "loss_kwh",
                "loss_rate_pct",
                "summary_completeness_pct",
                "customer_completeness_pct",
                "days",
                "complete_days",
                "flags",
            ],
            rows=(
                [
                    r.area.code,
                    r.area.name,
                    r.area.feeder.code,
                    f"{r.month:%Y-%m}",
                    r.supplied_kwh,
                    r.consumed_kwh,
                    r.loss_kwh,
                    _percent(r.loss_rate),
                    _percent(r.summary_completeness),
                    _percent(r.customer_completeness),
                    r.days,
                    r.complete_days,
                    _flags(r),
                ]
                for r in rows
            ),
        )
    return TemplateResponse(
        request,
        "analytics/lineloss/ranking.html",
        _context(request, title=_("Line loss by transformer area"), form=form, rows=rows, month=month, months=months),
    )


@staff_permission_required(VIEW_DAY)
def area_detail(request: HttpRequest, code: str) -> HttpResponse:
    area = area_by_code(code=code)
    if area is None:
        raise Http404("No such transformer area")
    form = RankingFilterForm(request.GET or None)
    month = form.cleaned_data.get("month") if form.is_valid() else None
    if month is not None:
        start, end = month, next_month(month)
    else:
        end = (last_loss_day(area_id=area.pk) or clock.today()) + dt.timedelta(days=1)
        start = end - dt.timedelta(days=AREA_DAYS)
    days = list(area_loss_days(area_id=area.pk, start=start, end=end))
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return _export(
            fmt=fmt,
            filename=f"line-loss-{area.code}-{start:%Y%m%d}",
            headers=[
                "area",
                "day",
                "supplied_kwh",
                "consumed_kwh",
                "loss_kwh",
                "loss_rate_pct",
                "baseline_rate_pct",
                "summary_completeness_pct",
                "customer_completeness_pct",
                "customer_meters",
                "flags",
            ],
            rows=(
                [
                    area.code,
                    d.day.isoformat(),
                    d.supplied_kwh,
                    d.consumed_kwh,
                    d.loss_kwh,
                    _percent(d.loss_rate),
                    _percent(d.baseline_rate),
                    _percent(d.summary_completeness),
                    _percent(d.customer_completeness),
                    d.customer_meters,
                    _flags(d),
                ]
                for d in days
            ),
        )
    chart = {
        "labels": [d.day.isoformat() for d in days],
        "supplied": [str(d.supplied_kwh) for d in days],
        "consumed": [str(d.consumed_kwh) for d in days],
        "rate": [_percent(d.loss_rate) for d in days],
        "incomplete": [d.incomplete for d in days],
        "flagged": [d.flagged for d in days],
        "names": {
            "supplied": _("Supplied kWh"),
            "consumed": _("Consumed kWh"),
            "rate": _("Loss rate %"),
            "incomplete": _("Incomplete data"),
        },
    }
    return TemplateResponse(
        request,
        "analytics/lineloss/area.html",
        _context(
            request,
            title=_("Line loss of area %(code)s") % {"code": area.code},
            area=area,
            days=days,
            months=list(area_loss_months(area_id=area.pk)),
            start=start,
            end=end,
            chart=chart,
            form=form,
        ),
    )


@staff_permission_required(VIEW_DAY, VIEW_MONTH)
def suspects(request: HttpRequest) -> HttpResponse:
    form = SuspectFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    as_of = filters.get("as_of") or clock.today()
    area = area_by_code(code=filters["area"]) if filters.get("area") else None
    found = (
        []
        if (filters.get("area") and area is None)
        else loss_suspects(as_of=as_of, area_id=area.pk if area else None, window=filters.get("window") or 30)
    )
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return _export(
            fmt=fmt,
            filename=f"line-loss-suspects-{as_of:%Y%m%d}",
            headers=[
                "account",
                "area",
                "meters",
                "baseline_kwh_per_day",
                "recent_kwh_per_day",
                "drop_pct",
                "share_drop_pct",
                "step_drop_pct",
                "drop_started",
                "area_rate_before_pct",
                "area_rate_after_pct",
                "recent_completeness_pct",
                "missing_kwh_per_day",
                "area_loss_rise_kwh_per_day",
            ],
            rows=(
                [
                    s.account_number,
                    s.area_code,
                    " ".join(s.meter_numbers),
                    s.baseline_kwh_per_day,
                    s.recent_kwh_per_day,
                    _percent(s.drop),
                    _percent(s.share_drop),
                    _percent(s.step_drop),
                    s.drop_started.isoformat(),
                    _percent(s.area_rate_before),
                    _percent(s.area_rate_after),
                    _percent(s.recent_completeness),
                    s.missing_kwh_per_day,
                    s.area_loss_rise_kwh_per_day,
                ]
                for s in found
            ),
        )
    return TemplateResponse(
        request,
        "analytics/lineloss/suspects.html",
        _context(
            request,
            title=_("Line-loss suspects"),
            form=form,
            suspects=found,
            as_of=as_of,
            area=area,
            inspection_url=_inspection_url(request),
        ),
    )


def _inspection_url(request: HttpRequest) -> str | None:
    """Where staff open a site inspection for a suspect: the services app's endpoint, reached by URL
    name (analytics never imports services), offered to those who may work service requests."""
    if not request.user.has_perm("services.change_servicerequest"):
        return None
    try:
        return reverse("services_staff:open_inspection")
    except NoReverseMatch:
        return None
