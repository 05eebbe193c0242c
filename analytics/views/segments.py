"""Staff page staff/analytics/segments/: centroid curves, sizes and k-selection scores of the current
working-day and weekend runs, and the segment table as CSV or Excel (``?export=csv|xlsx``).

Staff only, in the admin's look: anonymous users go to the admin login, everyone else without
``analytics.view_segment`` (customers included) gets a 403."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from analytics.models.segments import Shape
from analytics.selectors.segments import current_runs, segment_table_headers, segment_table_rows, segments_of
from core import clock
from core.time import SHANGHAI
from core.web.exports import rows_response
from core.web.gates import staff_permission_required

VIEW_PERMISSION = "analytics.view_segment"
EXPORT_KINDS = {"csv", "xlsx"}


def stamped_download(*, kind: str, filename: str, headers: list[str], rows: list[list]) -> HttpResponse:
    """A table as a CSV (UTF-8 with BOM, so Excel reads the Chinese right) or an .xlsx download, its
    name stamped with the local time of the download (the staff page and the admin's exports)."""
    stamp = clock.now().astimezone(SHANGHAI).strftime("%Y%m%d-%H%M")
    return rows_response(fmt=kind, filename=f"{filename}-{stamp}", headers=headers, rows=rows)


def _hour_labels(slots: int) -> list[str]:
    return [f"{slot * 24 // slots:02d}:00" for slot in range(slots)]


def _run_context(run) -> dict:
    segments = segments_of(run=run)
    total = sum(s.size for s in segments) or 1
    shapes = dict(Shape.choices)
    rows = [
        {
            "segment": s,
            "shape_label": str(shapes.get(s.shape, s.shape)),
            "share": round(100 * s.size / total, 1),
        }
        for s in segments
    ]
    scores = [
        {"k": int(k), "chosen": int(k) == run.k, **values}
        for k, values in sorted(run.scores.items(), key=lambda item: int(item[0]))
    ]
    return {
        "run": run,
        "chart_id": f"{run.day_type}-centroids",
        "rows": rows,
        "scores": scores,
        "chart": {
            "labels": _hour_labels(run.slots),
            "datasets": [
                {"label": f"{s.number}. {shapes.get(s.shape, s.shape)} ({s.size})", "values": s.centroid}
                for s in segments
            ],
            "yTitle": _("Share of the average hour (1 = average)"),
            "xTitle": _("Hour of day"),
        },
    }


@staff_permission_required(VIEW_PERMISSION)
def dashboard(request: HttpRequest) -> HttpResponse:
    runs = current_runs()
    export = request.GET.get("export")
    if export in EXPORT_KINDS:
        return stamped_download(
            kind=export,
            filename="segments",
            headers=segment_table_headers(runs=runs),
            rows=segment_table_rows(runs=runs),
        )
    context = {
        **admin.site.each_context(request),
        "title": _("Customer segments"),
        "runs": [_run_context(run) for run in runs],
        "can_list_accounts": request.user.has_perm("analytics.view_accountsegment"),
    }
    return render(request, "analytics/segments/dashboard.html", context)
