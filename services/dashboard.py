"""Service-request panels for the staff overview dashboard (analytics draws and exports them; analytics
may not import services, so services registers them from its AppConfig.ready)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.selectors.dashboard import DashboardFilters
from analytics.views import panels as dashboard_panels
from core.time import SHANGHAI
from core.web.exports import Column, Table
from customers.models import TransformerArea
from services.selectors import request_volumes, satisfaction, sla_compliance


def _window(filters: DashboardFilters):
    start = dt.datetime.combine(filters.month_from, dt.time(), tzinfo=SHANGHAI)
    end = dt.datetime.combine(filters.period_end, dt.time(), tzinfo=SHANGHAI)
    if filters.area_id:
        area_ids = [filters.area_id]
    elif filters.feeder_id:
        area_ids = list(TransformerArea.objects.filter(feeder_id=filters.feeder_id).values_list("pk", flat=True))
    else:
        area_ids = None
    return start, end, area_ids


def _percent(value) -> str:
    return "" if value is None else f"{value * 100:.1f} %"


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
        {**row, "label": _(row["label"]), "on_time_rate": _percent(row["on_time_rate"])}
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
        {**row, "label": _(row["label"]) if by == "type" else row["label"], "rated_share": _percent(row["rated_share"])}
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
