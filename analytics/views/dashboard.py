"""Staff overview dashboard (staff/analytics/): sales, collection rate, arrears, and panels other apps
register (analytics.views.panels). Every table on the page can be downloaded as CSV or Excel with
the same filters (core.web.exports). Thin: a filter form (analytics.forms.dashboard), SQL reads from
analytics.selectors.dashboard, and presentation (labels, chart specs) here. Pages may read the clock:
the default period and as-of day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from analytics.forms.dashboard import DashboardFilterForm
from analytics.selectors.dashboard import (
    DashboardFilters,
    arrears_by_area,
    arrears_by_category,
    collection_by_month,
    sales_by_month_and_category,
)
from analytics.views import panels
from core import clock
from core.db import replica_reads
from core.web.exports import FORMATS, Column, Table, table_response
from core.web.gates import staff_permission_required
from customers.models import Account

PERMISSION = "analytics.view_dashboards"
# Anonymous visitors go to the staff console's login; customers and staff without the permission get
# a 403 page saying why.
dashboard_required = staff_permission_required(PERMISSION, forbidden_template="analytics/dashboard/forbidden.html")


# --- tables ---------------------------------------------------------------------------------------------


def _category_label(value: str) -> str:
    try:
        return str(Account.Category(value).label)
    except ValueError:
        return value


def _month_text(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def _bucket_columns() -> list[Column]:
    return [
        Column("b0_30", _("0–30 days"), numeric=True),
        Column("b31_60", _("31–60 days"), numeric=True),
        Column("b61_90", _("61–90 days"), numeric=True),
        Column("bover_90", _("Over 90 days"), numeric=True),
        Column("total", _("Total (CNY)"), numeric=True),
        Column("accounts", _("Accounts"), numeric=True),
        Column("bills", _("Bills"), numeric=True),
    ]


def _bucket_row(row: dict) -> dict:
    return {
        "b0_30": row["0_30"],
        "b31_60": row["31_60"],
        "b61_90": row["61_90"],
        "bover_90": row["over_90"],
        "total": row["total"],
        "accounts": row["accounts"],
        "bills": row["bills"],
    }


def sales_table(filters: DashboardFilters) -> Table:
    rows = sales_by_month_and_category(filters=filters)
    months = [_month_text(m) for m in filters.months()]
    categories = sorted({r["category"] for r in rows})
    revenue = {(_month_text(r["month"]), r["category"]): r["revenue"] for r in rows}
    return Table(
        key="sales",
        title=_("Sales by month and category"),
        columns=[
            Column("month", _("Bill month")),
            Column("category", _("Category")),
            Column("kwh", _("kWh"), numeric=True),
            Column("revenue", _("Revenue (CNY)"), numeric=True),
            Column("bills", _("Bills"), numeric=True),
        ],
        rows=[
            {
                "month": _month_text(r["month"]),
                "category": _category_label(r["category"]),
                "kwh": r["kwh"],
                "revenue": r["revenue"],
                "bills": r["bills"],
            }
            for r in rows
        ],
        chart={
            "type": "bar",
            "stacked": True,
            "labels": months,
            "datasets": [
                {"label": _category_label(c), "values": [revenue.get((m, c)) for m in months]} for c in categories
            ],
            "yTitle": _("Revenue (CNY)"),
        },
        note=_(
            "Issued, partly paid and paid bills by the month their period starts; void and replaced bills are left out."
        ),
    )


def collection_table(filters: DashboardFilters) -> Table:
    rows = collection_by_month(filters=filters)
    return Table(
        key="collection",
        title=_("Collection rate"),
        columns=[
            Column("month", _("Issue month")),
            Column("billed", _("Billed (CNY)"), numeric=True),
            Column("collected", _("Collected (CNY)"), numeric=True),
            Column("outstanding", _("Not yet collected (CNY)"), numeric=True),
            Column("rate", _("Collection rate (%)"), numeric=True),
        ],
        rows=[{**r, "month": _month_text(r["month"])} for r in rows],
        chart={
            "type": "bar",
            "labels": [_month_text(r["month"]) for r in rows],
            "datasets": [
                {"label": _("Billed (CNY)"), "values": [r["billed"] for r in rows]},
                {"label": _("Collected (CNY)"), "values": [r["collected"] for r in rows]},
                {"label": _("Collection rate (%)"), "values": [r["rate"] for r in rows], "line": True},
            ],
            "yTitle": "CNY",
            "y2Title": "%",
        },
        note=_(
            "Bills issued in each month: their charges on the ledger, and what real payments posted by the end "
            "of %(day)s paid of them (test-gateway payments never count)."
        )
        % {"day": filters.as_of.isoformat()},
    )


def arrears_category_table(filters: DashboardFilters) -> Table:
    rows = arrears_by_category(filters=filters)
    buckets = [
        ("0_30", _("0–30 days")),
        ("31_60", _("31–60 days")),
        ("61_90", _("61–90 days")),
        ("over_90", _("Over 90 days")),
    ]
    return Table(
        key="arrears-category",
        title=_("Arrears by age and category"),
        columns=[Column("category", _("Category")), *_bucket_columns()],
        rows=[{"category": _category_label(r["category"]), **_bucket_row(r)} for r in rows],
        chart={
            "type": "bar",
            "stacked": True,
            "labels": [_category_label(r["category"]) for r in rows],
            "datasets": [{"label": label, "values": [r[key] for r in rows]} for key, label in buckets],
            "yTitle": "CNY",
        },
        note=_("Unpaid amounts of bills past their due date on %(day)s, by days overdue; late fees not included.")
        % {"day": filters.as_of.isoformat()},
    )


def arrears_area_table(filters: DashboardFilters) -> Table:
    rows = arrears_by_area(filters=filters, limit=10)
    return Table(
        key="arrears-areas",
        title=_("Transformer areas with the most arrears"),
        columns=[
            Column("area_code", _("Area")),
            Column("area_name", _("Name")),
            Column("feeder_code", _("Feeder")),
            *_bucket_columns(),
        ],
        rows=[
            {
                "area_code": r["area_code"],
                "area_name": r["area_name"],
                "feeder_code": r["feeder_code"],
                **_bucket_row(r),
            }
            for r in rows
        ],
        chart={
            "type": "bar",
            "horizontal": True,
            "labels": [r["area_code"] for r in rows],
            "datasets": [{"label": _("Total (CNY)"), "values": [r["total"] for r in rows]}],
            "yTitle": "CNY",
        },
    )


BUILT_IN: dict[str, Callable[[DashboardFilters], Table]] = {
    "sales": sales_table,
    "collection": collection_table,
    "arrears-category": arrears_category_table,
    "arrears-areas": arrears_area_table,
}


def built_in_tables(filters: DashboardFilters) -> list[Table]:
    return [build(filters) for build in BUILT_IN.values()]


def extra_tables(filters: DashboardFilters, query=None) -> list[Table]:
    return [panel.table(filters, query) for panel in panels.registered_panels()]


def _table_builders(query=None) -> dict[str, Callable[[DashboardFilters], Table]]:
    """Export looks a table up by key without building the others."""

    def builder(panel: panels.Panel) -> Callable[[DashboardFilters], Table]:
        return lambda filters: panel.table(filters, query)

    return {
        **{panel.key: builder(panel) for panel in panels.registered_panels()},
        **BUILT_IN,
    }


# --- views ------------------------------------------------------------------------------------------------


@dashboard_required
def index(request: HttpRequest) -> HttpResponse:
    form = DashboardFilterForm(request.GET or None)
    filters = form.filters(today=clock.today())
    query = request.GET.urlencode() if form.is_bound and form.is_valid() else ""
    if not form.is_bound:  # show the default period in the inputs rather than leave them blank
        form = DashboardFilterForm(
            initial={
                "month_from": f"{filters.month_from:%Y-%m}",
                "month_to": f"{filters.month_to:%Y-%m}",
                "as_of": filters.as_of,
            }
        )
    with replica_reads():  # months of aggregates over every bill: a replica's lag of seconds is fine
        tables = built_in_tables(filters)
        extras = extra_tables(filters, request.GET)
    for table in [*tables, *extras]:
        table.extra["exports"] = [
            {
                "fmt": fmt,
                "url": reverse("analytics_dashboard:export", args=[table.key, fmt]) + (f"?{query}" if query else ""),
            }
            for fmt in FORMATS
        ]
    context = {
        **admin.site.each_context(request),
        "title": _("Analytics overview"),
        "form": form,
        "filters": filters,
        "tables": tables,
        "extra_tables": extras,
    }
    return render(request, "analytics/dashboard/index.html", context)


@dashboard_required
def export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    builder = _table_builders(request.GET).get(key)
    if builder is None or fmt not in FORMATS:
        raise Http404("No such table or format")
    form = DashboardFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest("; ".join(str(e) for errors in form.errors.values() for e in errors))
    filters = form.filters(today=clock.today())
    with replica_reads():
        table = builder(filters)
    return table_response(
        table=table, fmt=fmt, filename=f"{table.key}-{filters.month_from:%Y%m}-{filters.month_to:%Y%m}"
    )
