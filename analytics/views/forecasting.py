"""Staff page /staff/analytics/forecasts/: a scope's forecasts (P50 line, P10–P90 band) against the
actual load over a date range, the scope's model versions with their backtest metrics, and the shown
series as CSV. Staff with ``analytics.view_forecast`` only; portal customers get 403."""

from __future__ import annotations

import datetime as dt
import math

from django.contrib import admin
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from analytics.forms.forecasting import ForecastRangeForm
from analytics.models import ForecastScope
from analytics.selectors.forecasting import VIEW_PERMISSION, forecast_models, forecast_scopes, forecast_vs_actual
from core import clock
from core.web.exports import rows_response
from core.web.gates import staff_permission_required

CSV_HEADERS = ["slot_start", "p10_kwh", "p50_kwh", "p90_kwh", "actual_kwh"]


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 4)


@staff_permission_required(VIEW_PERMISSION)
def forecasts_page(request):
    today = clock.today()
    scopes = forecast_scopes().order_by("kind", "name")
    default_scope = scopes.filter(kind=ForecastScope.Kind.SYSTEM).first() or scopes.first()
    initial = {"scope": default_scope, "day_from": today - dt.timedelta(days=6), "day_to": today + dt.timedelta(days=1)}
    form = ForecastRangeForm(request.GET or None, initial=initial)
    if form.is_bound and form.is_valid():
        scope, day_from, day_to = (form.cleaned_data[k] for k in ("scope", "day_from", "day_to"))
    elif form.is_bound:
        scope = None
    else:
        scope, day_from, day_to = initial["scope"], initial["day_from"], initial["day_to"]
    context = {
        **admin.site.each_context(request),
        "title": _("Load forecasts"),
        "form": form,
        "scope": scope,
        "has_scopes": scopes.exists(),
    }
    if scope is not None:
        frame = forecast_vs_actual(scope=scope, day_from=day_from, day_to=day_to)
        if request.GET.get("export") == "csv":
            return _csv(scope=scope, frame=frame, day_from=day_from, day_to=day_to)
        context.update(
            day_from=day_from,
            day_to=day_to,
            models=list(forecast_models(scope=scope)[:20]),
            chart={
                "labels": [ts.strftime("%m-%d %H:%M") for ts in frame.index],
                "p10": [_number(v) for v in frame["p10"]],
                "p50": [_number(v) for v in frame["p50"]],
                "p90": [_number(v) for v in frame["p90"]],
                "actual": [_number(v) for v in frame["actual"]],
                "unit": "kWh",
                "labels_text": {
                    "p10": str(_("P10")),
                    "p50": str(_("Forecast (P50)")),
                    "p90": str(_("P10–P90 band")),
                    "actual": str(_("Actual")),
                },
            },
            has_forecast=bool(frame["p50"].notna().any()),
            has_actual=bool(frame["actual"].notna().any()),
            csv_query=f"scope={scope.pk}&day_from={day_from}&day_to={day_to}&export=csv",
        )
    return TemplateResponse(request, "analytics/forecasting/forecasts.html", context)


def _csv(*, scope: ForecastScope, frame, day_from: dt.date, day_to: dt.date) -> HttpResponse:
    """The shown series, one row per slot (UTF-8 with a BOM, so Excel reads it; unknown values empty)."""
    return rows_response(
        fmt="csv",
        filename=f"forecast-scope{scope.pk}-{day_from}-{day_to}",
        headers=CSV_HEADERS,
        rows=(
            [ts.isoformat(), *(_number(row[c]) for c in ("p10", "p50", "p90", "actual"))]
            for ts, row in frame.iterrows()
        ),
    )
