"""Forecasting API (/api/v1/forecast-scopes, forecast-models, forecasts, weather) and the staff page
/staff/analytics/forecasts/: who may use them, and what they show.

Expected answers written out from analytics/migrations/0005_forecasting_permissions.py: the marketing
analyst and the system administrator read everything and load weather; every other role, portal
customers and integrators without the permissions get 403; anonymous callers 403 not_authenticated.
"""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from analytics.models import Forecast, ForecastModel, ForecastScope, ForecastSlot, WeatherObservation
from billing.models import IntervalReading
from core import clock
from security import roles
from tests.factories import SHANGHAI, bind, make_meter, make_portal_user, make_staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

GRANTS = importlib.import_module("analytics.migrations.0005_forecasting_permissions").GRANTS
READERS = {roles.MARKETING_ANALYST, roles.SYSTEM_ADMINISTRATOR}
USERS = ("anonymous", "customer", "integrator", *roles.ALL_ROLES)
DAY = dt.date(2026, 3, 2)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def world():
    meter = make_meter(meter_no="FC-1", multiplier=Decimal("2"))
    scope = ForecastScope.objects.create(name="大户 FC-1", kind="account", account=meter.account, resolution_minutes=30)
    model = ForecastModel.objects.create(
        scope=scope,
        version=1,
        trained_at=at(1),
        window_start=dt.date(2026, 1, 1),
        window_end=DAY,
        resolution_minutes=30,
        features=["lag_d1", "slot"],
        params={"max_iter": 100},
        metrics={"mape": 2.5, "seasonal_naive_mape": 6.0, "coverage_p10_p90": 0.79, "days": 14},
        sklearn_version="1.x",
        artefact_path="forecast-models/none.bin",
        artefact_sha256="0" * 64,
        artefact_bytes=1,
    )
    forecast = Forecast.objects.create(scope=scope, model=model, day=DAY, issued_at=at(0))
    ForecastSlot.objects.bulk_create(
        ForecastSlot(forecast=forecast, slot_start=at(h, m), p10=1.0, p50=1.5, p90=2.0)
        for h in range(24)
        for m in (0, 30)
    )
    # Actual for the first 30-minute slot only: (0.25 + 0.5) × 2.
    IntervalReading.objects.create(meter=meter, interval_start=at(0), kwh=Decimal("0.25"))
    IntervalReading.objects.create(meter=meter, interval_start=at(0, 15), kwh=Decimal("0.50"))
    WeatherObservation.objects.create(area=meter.account.area, at=at(0), temperature_c=Decimal("3.5"))
    return {"scope": scope, "model": model, "forecast": forecast, "area": meter.account.area, "account": meter.account}


def client_for(user_key: str, world) -> APIClient:
    client = APIClient()
    if user_key == "customer":
        user = make_portal_user()
        bind(user=user, account=world["account"])  # even the scope's own account holder is refused
        client.force_authenticate(user)
    elif user_key == "integrator":
        client.force_authenticate(get_user_model().objects.create_user(username="other-system", kind="integrator"))
    elif user_key != "anonymous":
        client.force_authenticate(make_staff(role=user_key))
    return client


def urls(world) -> dict[str, str]:
    return {
        "scopes": "/api/v1/forecast-scopes",
        "scope": f"/api/v1/forecast-scopes/{world['scope'].pk}",
        "models": "/api/v1/forecast-models",
        "model": f"/api/v1/forecast-models/{world['model'].pk}",
        "forecasts": f"/api/v1/forecasts?scope={world['scope'].pk}&day={DAY}",
        "forecast": f"/api/v1/forecasts/{world['forecast'].pk}",
        "weather": "/api/v1/weather",
    }


def test_role_table_here_matches_the_migration():
    for role in roles.ALL_ROLES:
        assert ("analytics.view_forecast" in GRANTS.get(role, [])) == (role in READERS)


@pytest.mark.parametrize("user_key", USERS)
def test_permission_matrix(user_key, world):
    client = client_for(user_key, world)
    reader = user_key in READERS
    got, expected = {}, {}
    for name, url in urls(world).items():
        response = client.get(url)
        got[name] = response.status_code
        expected[name] = 200 if reader else 403
        if response.status_code == 403:
            code = response.json()["error"]["code"]
            assert code == ("not_authenticated" if user_key == "anonymous" else "permission_denied")
    body = {"observations": [{"area": world["area"].code, "at": "2026-03-02T01:00:00+08:00", "temperature_c": "4"}]}
    got["weather_post"] = client.post("/api/v1/weather", body, format="json").status_code
    expected["weather_post"] = 200 if reader else 403
    got["scope_delete"] = client.delete(urls(world)["scope"]).status_code
    expected["scope_delete"] = 403 if user_key == "anonymous" else 405
    assert got == expected


def test_forecasts_carry_slots_with_actual_where_known(world):
    client = client_for(roles.MARKETING_ANALYST, world)

    body = client.get(f"/api/v1/forecasts?scope={world['scope'].pk}&day={DAY}").json()
    other_day = client.get(f"/api/v1/forecasts?scope={world['scope'].pk}&day=2026-03-03").json()

    assert body["count"] == 1 and other_day["count"] == 0
    forecast = body["results"][0]
    assert forecast["model_version"] == 1 and forecast["day"] == "2026-03-02"
    assert len(forecast["slots"]) == 48
    assert forecast["slots"][0] == {
        "start": "2026-03-02T00:00:00+08:00",
        "p10": 1.0,
        "p50": 1.5,
        "p90": 2.0,
        "actual": 1.5,
    }
    assert forecast["slots"][1]["actual"] is None


def test_models_list_shows_metrics_and_scope_filters(world):
    client = client_for(roles.SYSTEM_ADMINISTRATOR, world)

    models = client.get(f"/api/v1/forecast-models?scope={world['scope'].pk}").json()["results"]
    scopes = client.get("/api/v1/forecast-scopes?kind=account").json()["results"]
    bad = client.get("/api/v1/forecasts?day=not-a-date")

    assert models[0]["metrics"]["mape"] == 2.5 and models[0]["version"] == 1
    assert "artefact_path" not in models[0]
    assert scopes == [
        {
            "id": world["scope"].pk,
            "kind": "account",
            "name": "大户 FC-1",
            "feeder": None,
            "area": None,
            "account": world["account"].number,
            "category": "",
            "resolution_minutes": 30,
            "active": True,
        }
    ]
    assert bad.status_code == 400 and "day" in bad.json()["error"]["fields"]


def test_weather_upsert_is_all_or_nothing_and_idempotent(world):
    client = client_for(roles.MARKETING_ANALYST, world)
    code = world["area"].code
    good = {"area": code, "at": "2026-03-02T01:00:00+08:00", "temperature_c": "4.25"}
    forecast = {
        "area": code,
        "at": "2026-03-03T01:00",
        "temperature_c": "5",
        "kind": "forecast",
        "issued_at": "2026-03-02T17:00",
    }

    refused = client.post(
        "/api/v1/weather", {"observations": [good, {"area": "NOPE", "at": "x", "temperature_c": "1"}]}, format="json"
    )
    first = client.post("/api/v1/weather", {"observations": [good, forecast]}, format="json")
    repeat = client.post("/api/v1/weather", {"observations": [good, forecast]}, format="json")
    older = client.post(
        "/api/v1/weather",
        {"observations": [{**forecast, "temperature_c": "9", "issued_at": "2026-03-01T17:00"}]},
        format="json",
    )
    empty = client.post("/api/v1/weather", {"observations": []}, format="json")

    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["observations"] == {"1": ["area: no transformer area with code 'NOPE'"]}
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert repeat.json() == {"created": 0, "updated": 0, "unchanged": 2}
    assert older.json() == {"created": 0, "updated": 0, "unchanged": 1}  # an older forecast never wins
    assert empty.status_code == 400
    assert WeatherObservation.objects.get(kind="forecast").temperature_c == Decimal("5.00")
    listed = client.get(f"/api/v1/weather?area={code}&kind=observed").json()
    assert [(r["at"], r["temperature_c"]) for r in listed["results"]] == [
        ("2026-03-02T00:00:00+08:00", "3.50"),
        ("2026-03-02T01:00:00+08:00", "4.25"),
    ]


# --- the staff page -----------------------------------------------------------------------------------


PAGE = "/staff/analytics/forecasts/"


def test_staff_page_renders_chart_models_and_csv_for_the_analyst(client, world):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    query = {"scope": world["scope"].pk, "day_from": "2026-03-02", "day_to": "2026-03-02"}

    page = client.get(PAGE, query)
    export = client.get(PAGE, {**query, "export": "csv"})

    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="forecast-chart"' in html and "vendor/chartjs/chart.umd.min.js" in html
    assert "大户 FC-1" in html and "v1" in html and "2.50" in html  # the model table with its MAPE
    assert page.context["chart"]["p50"][:2] == [1.5, 1.5] and page.context["chart"]["actual"][:2] == [1.5, None]
    lines = export.content.decode("utf-8-sig").splitlines()
    assert export["Content-Type"].startswith("text/csv")
    assert lines[0] == "slot_start,p10_kwh,p50_kwh,p90_kwh,actual_kwh"
    assert lines[1] == "2026-03-02T00:00:00+08:00,1.0,1.5,2.0,1.5"
    assert lines[2] == "2026-03-02T00:30:00+08:00,1.0,1.5,2.0,"
    assert len(lines) == 49


def test_staff_page_opens_on_the_last_week_with_its_dates_in_the_inputs(client, world, monkeypatch):

    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 3, 3))
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))

    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    # ISO values whatever the language (zh-hans formats dates 2026/02/25, which a date input shows blank)
    assert 'name="day_from" value="2026-02-25"' in html and 'name="day_to" value="2026-03-04"' in html
    assert '<a href="/staff/analytics/forecasts/" aria-current="page">' in html  # the sections row


def test_staff_page_rejects_a_bad_range_with_a_message(client, world):
    client.force_login(make_staff(role=roles.SYSTEM_ADMINISTRATOR))

    page = client.get(PAGE, {"scope": world["scope"].pk, "day_from": "2026-03-05", "day_to": "2026-03-01"})

    assert page.status_code == 200
    assert "forecast-chart" not in page.content.decode()
    assert page.context["form"].errors["__all__"]


@pytest.mark.parametrize("user_key", ["customer", roles.BILLING_CLERK, roles.SECURITY_AUDITOR])
def test_staff_page_is_refused_without_the_permission(client, world, user_key):
    user = make_portal_user() if user_key == "customer" else make_staff(role=user_key)
    if user_key == "customer":
        bind(user=user, account=world["account"])
    client.force_login(user)

    response = client.get(PAGE)

    assert response.status_code == 403
    assert "大户 FC-1" not in response.content.decode()


def test_staff_page_sends_anonymous_visitors_to_the_admin_login(client):
    response = client.get(PAGE)

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
