"""Staff page /staff/analytics/forecasts/: a scope's forecasts (P50 line, P10–P90 band) against the
actual load over a date range, the scope's model versions with their backtest metrics, and the shown
series as CSV. Staff with ``analytics.view_forecast`` only; portal customers get 403."""

from __future__ import annotations

import csv
import datetime as dt
import math

from django import forms
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from analytics.models import ForecastScope
from analytics.selectors.forecasting import VIEW_PERMISSION, forecast_models, forecast_scopes, forecast_vs_actual
from core import clock
from core.web.widgets import DateInput

MAX_RANGE_DAYS = 62


class ForecastRangeForm(forms.Form):
    scope = forms.ModelChoiceField(queryset=ForecastScope.objects.none(), label=_("Scope"))
    day_from = forms.DateField(label=_("From"), widget=DateInput())
    day_to = forms.DateField(label=_("To"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].queryset = forecast_scopes().order_by("kind", "name")

    def clean(self):
        data = super().clean()
        start, end = data.get("day_from"), data.get("day_to")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end date is before the start date."))
            if (end - start).days >= MAX_RANGE_DAYS:
                raise forms.ValidationError(_("Choose at most %(n)d days.") % {"n": MAX_RANGE_DAYS})
        return data


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 4)


def forecasts_page(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url="admin:login")
    if not (request.user.is_active and request.user.is_staff and request.user.has_perm(VIEW_PERMISSION)):
        raise PermissionDenied
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
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="forecast-scope{scope.pk}-{day_from}-{day_to}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
    writer = csv.writer(response)
    writer.writerow(["slot_start", "p10_kwh", "p50_kwh", "p90_kwh", "actual_kwh"])
    for ts, row in frame.iterrows():
        writer.writerow(
            [
                ts.isoformat(),
                *("" if _number(row[c]) is None else _number(row[c]) for c in ("p10", "p50", "p90", "actual")),
            ]
        )
    return response
