"""Service-request panels for the staff overview dashboard: the tables (columns, rows, chart) built from
the report selectors. Analytics draws and exports them; analytics may not import services, so
services registers them from its AppConfig.ready."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.selectors.dashboard import DashboardFilters
from analytics.views import panels as dashboard_panels
from core.money import percent
from core.time import day_span
from core.web.exports import Column, Table
from services.selectors.reports import area_ids_in, request_volumes, satisfaction, sla_compliance
from services.views.demand_response_staff import event_curve_panel, season_panel


def _window(filters: DashboardFilters):
    start, end = day_span(filters.month_from, filters.period_end)
    return start, end, area_ids_in(area_id=filters.area_id, feeder_id=filters.feeder_id)


def _percent(part: int, whole: int) -> str:
    share = percent(part, whole)  # to 0.1 %, half up, like every percentage staff read
    return "" if share is None else f"{share} %"


def volume_table(filters: DashboardFilters) -> Table:
    start, end, area_ids = _window(filters)
    rows = [{**row, "label": _(row["label"])} for row in request_volumes(start=start, end=end, area_ids=area_ids)]
    return Table(
        key="service_requests",
        title=_("Service requests by type"),
        columns=[
            Column("label", _("Type")),
            Column("submitted", _("Submitted"), numeric=True),
            Column("open", _("Open"), numeric=True),
            Column("completed", _("Completed"), numeric=True),
            Column("rejected", _("Rejected"), numeric=True),
            Column("cancelled", _("Cancelled"), numeric=True),
        ],
        rows=rows,
        chart={
            "type": "bar",
            "labels": [row["label"] for row in rows],
            "datasets": [
                {"label": _("Completed"), "values": [row["completed"] for row in rows]},
                {"label": _("Open"), "values": [row["open"] for row in rows]},
            ],
            "stacked": True,
            "horizontal": True,
        },
        note=_("Requests submitted in the chosen months."),
    )


def compliance_table(filters: DashboardFilters) -> Table:
    start, end, area_ids = _window(filters)
    rows = [
        {**row, "label": _(row["label"]), "on_time_rate": _percent(row["on_time"], row["finished"])}
        for row in sla_compliance(start=start, end=end, area_ids=area_ids)
    ]
    return Table(
        key="service_sla",
        title=_("Time-limit compliance"),
        columns=[
            Column("label", _("Type")),
            Column("finished", _("Steps finished"), numeric=True),
            Column("on_time", _("On time"), numeric=True),
            Column("on_time_rate", _("On-time rate"), numeric=True),
        ],
        rows=rows,
        note=_(
            "Steps with a time limit finished in the chosen months; on time = finished before the end of its due day."
        ),
    )


def satisfaction_table(filters: DashboardFilters, *, by: str) -> Table:
    start, end, area_ids = _window(filters)
    rows = [
        {
            **row,
            "label": _(row["label"]) if by == "type" else row["label"],
            "rated_share": _percent(row["rated"], row["completed"]),
        }
        for row in satisfaction(start=start, end=end, by=by, area_ids=area_ids)
    ]
    return Table(
        key=f"satisfaction_{by}",
        title=_("Satisfaction by type") if by == "type" else _("Satisfaction by transformer area"),
        columns=[
            Column("label", _("Type") if by == "type" else _("Area")),
            Column("completed", _("Completed"), numeric=True),
            Column("rated", _("Rated"), numeric=True),
            Column("average", _("Average rating (1–5)"), numeric=True),
            Column("rated_share", _("Share rated"), numeric=True),
        ],
        rows=rows,
    )


def register_panels() -> None:
    dashboard_panels.register(key="service_requests", title=gettext_lazy("Service requests"), build=volume_table)
    dashboard_panels.register(key="service_sla", title=gettext_lazy("Time-limit compliance"), build=compliance_table)
    dashboard_panels.register(
        key="satisfaction_type",
        title=gettext_lazy("Satisfaction by type"),
        build=lambda filters: satisfaction_table(filters, by="type"),
    )
    dashboard_panels.register(
        key="satisfaction_area",
        title=gettext_lazy("Satisfaction by transformer area"),
        build=lambda filters: satisfaction_table(filters, by="area"),
    )
    # Demand response: the season's events, and one event's aggregate baseline vs actual (its picker).
    dashboard_panels.register(key="dr_season", title=gettext_lazy("Demand response"), build=season_panel)
    dashboard_panels.register(
        key="dr_event_curve",
        title=gettext_lazy("Demand response: baseline vs actual"),
        build=event_curve_panel,
        params=("dr_event",),
    )
