"""Staff pages of one demand-response event, outside the admin (staff/services/demand-response/…): the
results table per account (what each settlement stored) with CSV / Excel export, and every baseline
method side by side. Thin: a selector or one comparison call, the tables built here, the export
through core.web.exports. Gated like the other staff pages (core.web.gates): anonymous visitors go to
the staff console's login, customers and staff without the permission get 403."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.time import SHANGHAI, day_span
from core.web.exports import FORMATS, Column, Table, table_response
from core.web.gates import staff_permission_required
from services.actions.demand_response.comparison import compare_event_baselines
from services.models import DREvent, DRProgram
from services.selectors.demand_response_staff import (
    event_curve,
    event_result_rows,
    events_for_choice,
    season_events,
    season_total,
)
from services.selectors.reports import area_ids_in

PERMISSION = "services.view_drsettlement"
results_required = staff_permission_required(PERMISSION)


def _method_label(value: str) -> str:
    return str(dict(DRProgram.BaselineMethod.choices).get(value, value))


def results_table(*, event: DREvent) -> Table:
    return Table(
        key="dr-results",
        title=_("Results per account"),
        columns=[
            Column("account", _("Account")),
            Column("baseline_method", _("Baseline method")),
            Column("baseline_kwh", _("Baseline (kWh)"), numeric=True),
            Column("actual_kwh", _("Actual (kWh)"), numeric=True),
            Column("verified_kwh", _("Verified (kWh)"), numeric=True),
            Column("verified_kw", _("Verified average (kW)"), numeric=True),
            Column("committed_kw", _("Committed (kW)"), numeric=True),
            Column("ratio", _("Verified ÷ committed"), numeric=True),
            Column("incentive", _("Incentive (CNY)"), numeric=True),
            Column("penalty", _("Penalty (CNY)"), numeric=True),
            Column("net", _("Net (CNY)"), numeric=True),
            Column("flags", _("Flags")),
            Column("status", _("Status")),
        ],
        rows=event_result_rows(event=event),
        note=_("Each row is the account's settlement as stored (latest revision); money in CNY."),
    )


def _event_title(event: DREvent) -> str:
    local = event.start.astimezone(SHANGHAI)
    return f"{event.name} · {local:%Y-%m-%d %H:%M}–{event.end.astimezone(SHANGHAI):%H:%M}"


def _with_exports(table: Table, event: DREvent) -> Table:
    table.extra["exports"] = [
        {"fmt": fmt, "url": reverse("services_staff:dr_event_results_export", args=[event.pk, fmt])} for fmt in FORMATS
    ]
    return table


@results_required
def event_results(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(DREvent.objects.select_related("program"), pk=pk)
    table = _with_exports(results_table(event=event), event)
    context = {
        **admin.site.each_context(request),
        "title": _("Event results: %(event)s") % {"event": _event_title(event)},
        "event": event,
        "tables": [table],
    }
    return render(request, "services/staff/dr_event.html", context)


@results_required
def event_results_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404("No such format")
    event = get_object_or_404(DREvent.objects.select_related("program"), pk=pk)
    return table_response(table=results_table(event=event), fmt=fmt, filename=f"dr-event-{event.pk}-results")


def comparison_tables(*, event: DREvent) -> list[Table]:
    comparison = compare_event_baselines(event=event)
    labels = {m: _method_label(m) for m in comparison.methods}
    curve = Table(
        key="dr-compare-curve",
        title=_("Aggregate baseline of each method and the actual load (kW)"),
        columns=[
            Column("slot", _("Interval")),
            *[Column(m, labels[m], numeric=True) for m in comparison.methods],
            Column("actual", _("Actual"), numeric=True),
        ],
        rows=[
            {
                "slot": f"{slot:%H:%M}",
                **{m: comparison.aggregate_kw[m][k] for m in comparison.methods},
                "actual": comparison.actual_kw[k],
            }
            for k, slot in enumerate(comparison.slots)
        ],
        chart={
            "type": "bar",
            "sameAxis": True,
            "labels": [f"{slot:%H:%M}" for slot in comparison.slots],
            "datasets": [
                *[{"label": labels[m], "values": comparison.aggregate_kw[m], "line": True} for m in comparison.methods],
                {"label": _("Actual"), "values": comparison.actual_kw},
            ],
            "yTitle": "kW",
        },
        note=_("Sum over the %(count)d accounts that took part; the program settles with: %(method)s.")
        % {"count": len(comparison.accounts), "method": _method_label(comparison.program_method)},
    )
    accounts = Table(
        key="dr-compare-accounts",
        title=_("Baseline energy per account over the window (kWh)"),
        columns=[
            Column("account", _("Account")),
            *[Column(m, labels[m], numeric=True) for m in comparison.methods],
            Column("actual", _("Actual (kWh)"), numeric=True),
        ],
        rows=[{"account": a.account_number, **a.kwh, "actual": a.actual_kwh} for a in comparison.accounts],
        note="; ".join(comparison.notes),
    )
    return [curve, accounts]


@results_required
def event_compare(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(DREvent.objects.select_related("program"), pk=pk)
    tables = comparison_tables(event=event)
    for table in tables:  # one export link per table: the key names the table
        table.extra["exports"] = [
            {"fmt": fmt, "url": reverse("services_staff:dr_event_compare_export", args=[event.pk, table.key, fmt])}
            for fmt in FORMATS
        ]
    context = {
        **admin.site.each_context(request),
        "title": _("Compare baselines: %(event)s") % {"event": _event_title(event)},
        "event": event,
        "tables": tables,
    }
    return render(request, "services/staff/dr_event.html", context)


@results_required
def event_compare_export(request: HttpRequest, pk: int, key: str, fmt: str) -> HttpResponse:
    event = get_object_or_404(DREvent.objects.select_related("program"), pk=pk)
    table = next((t for t in comparison_tables(event=event) if t.key == key), None)
    if table is None or fmt not in FORMATS:
        raise Http404("No such table or format")
    return table_response(table=table, fmt=fmt, filename=f"dr-event-{event.pk}-{key}")


# --- dashboard panels (registered by services.views.dashboard.register_panels) -----------------------


def _period(filters):
    start, end = day_span(filters.month_from, filters.period_end)
    return start, end, area_ids_in(area_id=filters.area_id, feeder_id=filters.feeder_id)


def _pct(value) -> str:
    return "" if value is None else f"{value} %"


def season_panel(filters) -> Table:
    """Events in the chosen months: requested vs verified MW, cost per verified kWh, participation."""
    start, end, area_ids = _period(filters)
    rows = season_events(start=start, end=end, area_ids=area_ids)
    total = season_total(rows)
    statuses = dict(DREvent.Status.choices)

    def line(row: dict, *, label: str, program: str, day: str, status: str) -> dict:
        return {
            "event": label,
            "program": program,
            "day": day,
            "status": status,
            "requested_mw": row["requested_mw"],
            "verified_mw": row["verified_mw"],
            "verified_share": _pct(row["verified_share"]),
            "verified_kwh": row["verified_kwh"],
            "cost": row["cost"],
            "cost_per_kwh": row["cost_per_kwh"],
            "invited": row["invited"],
            "opted_in": row["opted_in"],
            "participation_rate": _pct(row["participation_rate"]),
        }

    table_rows = [
        line(
            r,
            label=r["event"].name,
            program=r["event"].program.code,
            day=f"{r['event'].start.astimezone(SHANGHAI):%Y-%m-%d}",
            status=str(statuses[r["event"].status]),
        )
        for r in rows
    ]
    if total:
        table_rows.append(
            line(
                total,
                label=_("All %(count)d events") % {"count": total["events"]},
                program="",
                day="",
                status="",
            )
        )
    return Table(
        key="dr_season",
        title=_("Demand response: events in the chosen months"),
        columns=[
            Column("event", _("Event")),
            Column("program", _("Program")),
            Column("day", _("Day")),
            Column("status", _("Status")),
            Column("requested_mw", _("Requested (MW)"), numeric=True),
            Column("verified_mw", _("Verified (MW)"), numeric=True),
            Column("verified_share", _("Verified ÷ requested"), numeric=True),
            Column("verified_kwh", _("Verified (kWh)"), numeric=True),
            Column("cost", _("Cost (CNY)"), numeric=True),
            Column("cost_per_kwh", _("Cost per verified kWh (CNY)"), numeric=True),
            Column("invited", _("Invited"), numeric=True),
            Column("opted_in", _("Took part"), numeric=True),
            Column("participation_rate", _("Participation rate"), numeric=True),
        ],
        rows=table_rows,
        chart={
            "type": "bar",
            "labels": [r["event"] for r in table_rows[: len(rows)]],
            "datasets": [
                {"label": _("Requested (MW)"), "values": [r["requested_mw"] for r in rows]},
                {"label": _("Verified (MW)"), "values": [r["verified_mw"] for r in rows]},
            ],
            "yTitle": "MW",
        },
        note=_(
            "Dispatched events starting in the chosen months. Verified MW: the accounts' verified average "
            "response added up; cost: incentives less penalties; participation: accounts taking part ÷ invited."
        ),
    )


def event_curve_panel(filters, params: dict) -> Table:
    """The aggregate baseline vs actual load of one settled event (the picker; default the latest)."""
    start, end, area_ids = _period(filters)
    choices = events_for_choice(start=start, end=end)
    chosen = next((e for e in choices if str(e.pk) == params.get("dr_event")), choices[0] if choices else None)
    curve: dict[str, Any] = event_curve(event=chosen, area_ids=area_ids) if chosen else {"slots": [], "accounts": 0}
    labels = [dt.datetime.fromisoformat(s).astimezone(SHANGHAI).strftime("%H:%M") for s in curve["slots"]]
    rows = [
        {
            "slot": label,
            "baseline_kw": curve["baseline_kw"][k],
            "actual_kw": curve["actual_kw"][k],
            "response_kw": None
            if curve["baseline_kw"][k] is None or curve["actual_kw"][k] is None
            else curve["baseline_kw"][k] - curve["actual_kw"][k],
        }
        for k, label in enumerate(labels)
    ]
    table = Table(
        key="dr_event_curve",
        title=_("Demand response: aggregate baseline vs actual"),
        columns=[
            Column("slot", _("Interval")),
            Column("baseline_kw", _("Baseline (kW)"), numeric=True),
            Column("actual_kw", _("Actual (kW)"), numeric=True),
            Column("response_kw", _("Baseline − actual (kW)"), numeric=True),
        ],
        rows=rows,
        chart={
            "type": "bar",
            "sameAxis": True,
            "labels": labels,
            "datasets": [
                {"label": _("Baseline (kW)"), "values": [r["baseline_kw"] for r in rows], "line": True},
                {"label": _("Actual (kW)"), "values": [r["actual_kw"] for r in rows], "line": True},
            ],
            "yTitle": "kW",
        },
        note=(
            _("%(event)s: sum over the %(count)d settled accounts.")
            % {"event": _event_title(chosen), "count": curve["accounts"]}
            if chosen
            else _("No settled event in the chosen months.")
        ),
    )
    if chosen is not None:
        table.extra["picker"] = {
            "name": "dr_event",
            "label": _("Event"),
            "options": [(str(e.pk), _event_title(e)) for e in choices],
            "selected": str(chosen.pk),
        }
    return table
