"""Forecasting operations on PostgreSQL: each scope kind's load summed in SQL against hand-summed
readings (multiplier applied), weather ingest, the model registry's SHA-256 check, and training and
issuing being idempotent and leakage-safe."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from analytics.models import Forecast, ForecastModel, ForecastScope, ForecastSlot, WeatherObservation
from analytics.selectors.forecasting import scope_load_series, scope_temperature_series
from analytics.services.forecast_scopes import ensure_default_scopes
from analytics.services.forecasting import (
    ArtefactIntegrityError,
    ForecastError,
    issue_forecast,
    load_forecaster,
    train_scope,
)
from billing.models import IntervalReading, Meter
from customers.models import Account, Feeder, TransformerArea
from tests.factories import SHANGHAI, make_account, make_meter

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

DAY = dt.date(2026, 3, 2)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def read(meter: Meter, start: dt.datetime, kwh: str) -> None:
    IntervalReading.objects.create(meter=meter, interval_start=start, kwh=Decimal(kwh))


@pytest.fixture
def grid():
    """Feeder F1: area A1 with a summary meter (×100) and a customer; area A2 without a summary meter,
    a residential meter (×2) and a commercial one. Feeder F2: area A3 with one residential customer."""
    f1 = Feeder.objects.create(code="F1", name="一号线")
    f2 = Feeder.objects.create(code="F2", name="二号线")
    a1 = TransformerArea.objects.create(code="A1", name="甲台区", feeder=f1)
    a2 = TransformerArea.objects.create(code="A2", name="乙台区", feeder=f1)
    a3 = TransformerArea.objects.create(code="A3", name="丙台区", feeder=f2)
    summary = Meter.objects.create(
        meter_no="S-A1",
        role=Meter.Role.AREA_SUMMARY,
        area=a1,
        multiplier=Decimal("100"),
        installed_at=at(0, 0, dt.date(2026, 1, 1)),
    )
    res_a1 = make_meter(meter_no="R-A1", account=make_account(area=a1))
    res_a2 = make_meter(meter_no="R-A2", account=make_account(area=a2), multiplier=Decimal("2"))
    com_a2 = make_meter(
        meter_no="C-A2",
        account=make_account(area=a2, category=Account.Category.COMMERCIAL, contracted_kva=Decimal("400")),
    )
    res_a3 = make_meter(meter_no="R-A3", account=make_account(area=a3))
    # 00:00 and 00:15 (one 30-minute slot), and 00:30.
    for meter, values in {
        summary: ("0.10", "0.20", "0.30"),
        res_a1: ("1.0000", "2.0000", "3.0000"),
        res_a2: ("0.5000", "0.2500", "1.0000"),
        com_a2: ("4.0000", "4.0000", "4.0000"),
        res_a3: ("0.0100", "0.0200", "0.0300"),
    }.items():
        for index, value in enumerate(values):
            read(meter, at(0, 15 * index), value)
    read(res_a3, at(0, 0, DAY + dt.timedelta(days=1)), "9.0")  # the next day: outside the window
    return {"f1": f1, "f2": f2, "a1": a1, "a2": a2, "a3": a3, "meters": (summary, res_a1, res_a2, com_a2, res_a3)}


def series_values(scope: ForecastScope) -> list[float]:
    series = scope_load_series(scope=scope, start=DAY, end=DAY + dt.timedelta(days=1))
    assert len(series) == 24 * 60 // scope.resolution_minutes
    assert series.index[0] == at(0)
    return [round(v, 6) for v in series.iloc[:3].tolist()]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        # account: only its own meter, × multiplier 2
        (lambda g: {"kind": "account", "account": g["meters"][2].account}, [1.0, 0.5, 2.0]),
        # residential: R-A1 + R-A2×2 + R-A3
        (lambda g: {"kind": "category", "category": "residential"}, [2.01, 2.52, 5.03]),
        (lambda g: {"kind": "category", "category": "commercial"}, [4.0, 4.0, 4.0]),
        # area with a summary meter: the summary meter × 100 only (its customers are inside it)
        (lambda g: {"kind": "area", "area": g["a1"]}, [10.0, 20.0, 30.0]),
        # area without one: its customers, R-A2×2 + C-A2
        (lambda g: {"kind": "area", "area": g["a2"]}, [5.0, 4.5, 6.0]),
        # feeder F1: A1's summary + A2's customers
        (lambda g: {"kind": "feeder", "feeder": g["f1"]}, [15.0, 24.5, 36.0]),
        # system: F1 + A3's customer
        (lambda g: {"kind": "system"}, [15.01, 24.52, 36.03]),
    ],
)
def test_scope_load_is_the_hand_sum_of_its_meters(grid, target, expected):
    scope = ForecastScope.objects.create(name="s", **target(grid))

    assert series_values(scope) == expected


def test_thirty_minute_scope_sums_two_quarter_hours_and_leaves_missing_slots_empty(grid):
    scope = ForecastScope.objects.create(name="s", kind="system", resolution_minutes=30)

    series = scope_load_series(scope=scope, start=DAY, end=DAY + dt.timedelta(days=1))

    assert len(series) == 48
    assert round(series.iloc[0], 6) == round(15.01 + 24.52, 6)
    assert round(series.iloc[1], 6) == 36.03
    assert series.iloc[2:].isna().all()


def test_scope_kind_needs_its_target():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        ForecastScope.objects.create(name="bad", kind="area")


def test_default_scopes_cover_system_feeders_areas_categories_and_large_accounts(grid, settings):
    settings.FORECAST_ACCOUNT_MIN_KVA = 315

    first = ensure_default_scopes()
    again = ensure_default_scopes()

    kinds = sorted(ForecastScope.objects.values_list("kind", flat=True))
    assert kinds.count("system") == 1 and kinds.count("feeder") == 2 and kinds.count("area") == 3
    assert kinds.count("category") == len(Account.Category.values)
    assert list(ForecastScope.objects.filter(kind="account").values_list("account__contracted_kva", flat=True)) == [
        Decimal("400.00")
    ]
    assert first.created == len(kinds) and again.created == 0 and again.existing == len(kinds)
    area_scope = ForecastScope.objects.filter(kind="area").order_by("area__code").first()
    assert area_scope.name == f"台区 {area_scope.area.code} {area_scope.area.name}"
    assert ForecastScope.objects.get(kind="system").name == "全系统 / System"
    # A scope switched off stays off and is not created a second time.
    ForecastScope.objects.filter(pk=area_scope.pk).update(active=False)
    third = ensure_default_scopes()
    assert (third.created, third.existing) == (0, len(kinds))
    assert (
        ForecastScope.objects.filter(area=area_scope.area).count() == 1
        and not ForecastScope.objects.get(pk=area_scope.pk).active
    )


# --- weather ----------------------------------------------------------------------------------------


def test_ingest_weather_keeps_good_rows_and_reports_bad_ones_by_line(grid, tmp_path: Path):
    path = tmp_path / "weather.csv"
    path.write_text(
        "area,at,temperature_c,kind,issued_at\n"
        "A1,2026-03-02T00:00:00+08:00,5.5,observed,\n"  # line 2 good
        "A1,2026-03-02T01:00,6.0,,\n"  # line 3 good (naive = Shanghai, kind defaults to observed)
        "NOPE,2026-03-02T01:00,6.0,observed,\n"  # line 4 unknown area
        "A1,yesterday,6.0,observed,\n"  # line 5 bad time
        "A1,2026-03-02T02:00,hot,observed,\n"  # line 6 bad number
        "A1,2026-03-03T00:00,7.0,forecast,\n"  # line 7 forecast without issued_at
        "A2,2026-03-03T00:00,7.0,forecast,2026-03-02T18:00\n",  # line 8 good
        encoding="utf-8",
    )
    out = StringIO()

    call_command("ingest_weather", str(path), stdout=out)
    call_command("ingest_weather", str(path), stdout=(second := StringIO()))

    text = out.getvalue()
    for line, reason in ((4, "NOPE"), (5, "yesterday"), (6, "not a number"), (7, "issued_at: required")):
        assert f"line {line}:" in text and reason in text.split(f"line {line}:")[1].splitlines()[0]
    assert "3 created, 0 updated, 0 unchanged, 4 rejected" in text
    assert "0 created, 0 updated, 3 unchanged, 4 rejected" in second.getvalue()
    stored = WeatherObservation.objects.get(area__code="A1", at=at(1))
    assert stored.temperature_c == Decimal("6.00") and stored.kind == "observed"


def test_ingest_weather_missing_column_is_a_command_error(tmp_path: Path):
    path = tmp_path / "w.csv"
    path.write_text("area,when,temp\nA1,2026-03-02,5\n", encoding="utf-8")

    with pytest.raises(CommandError, match="missing column"):
        call_command("ingest_weather", str(path))
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("ingest_weather", str(tmp_path / "absent.csv"))


def test_scope_temperature_is_the_mean_over_its_areas_interpolated_to_slots(grid):
    for area, values in ((grid["a1"], (4.0, 8.0)), (grid["a2"], (6.0, 10.0))):
        for hour, value in zip((0, 1), values, strict=True):
            WeatherObservation.objects.create(area=area, at=at(hour), temperature_c=Decimal(str(value)))
    scope = ForecastScope.objects.create(name="f1", kind="feeder", feeder=grid["f1"])

    temperature = scope_temperature_series(scope=scope, start=DAY, end=DAY + dt.timedelta(days=1))

    assert temperature.iloc[:5].tolist() == [5.0, 6.0, 7.0, 8.0, 9.0]
    assert math.isnan(temperature.iloc[5])  # nothing after the last observation: not extrapolated


# --- training, registry, issuing ------------------------------------------------------------------


def synthetic_history(meter: Meter, *, first: dt.date, days: int) -> None:
    """A daily double-peak curve a little higher on weekdays, 15-minute readings."""
    rows = []
    for d in range(days):
        day = first + dt.timedelta(days=d)
        scale = 1.0 if day.weekday() < 5 else 0.8
        for slot in range(96):
            hour = slot / 4
            value = scale * (1.0 + 0.6 * math.exp(-((hour - 10) ** 2) / 6) + 0.8 * math.exp(-((hour - 19) ** 2) / 4))
            rows.append(
                IntervalReading(
                    meter=meter,
                    interval_start=dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)
                    + dt.timedelta(minutes=15 * slot),
                    kwh=Decimal(f"{value:.4f}"),
                )
            )
    IntervalReading.objects.bulk_create(rows)


@pytest.fixture
def trained_world(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.FORECAST_BACKTEST_DAYS = 7
    settings.FORECAST_MODEL_PARAMS = {"max_iter": 20}  # a small model: these tests are about the registry
    meter = make_meter(meter_no="BIG-1", multiplier=Decimal("2"))
    synthetic_history(meter, first=dt.date(2026, 1, 5), days=49)  # through 2026-02-22
    scope = ForecastScope.objects.create(name="大户", kind="account", account=meter.account, resolution_minutes=30)
    return scope


AS_OF = dt.datetime(2026, 2, 23, 1, 30, tzinfo=SHANGHAI)


def test_train_registers_a_version_with_metrics_and_a_private_artefact(trained_world):
    model = train_scope(scope_id=trained_world.pk, as_of=AS_OF)

    assert (model.version, model.status) == (1, "active")
    assert (model.window_start, model.window_end) == (dt.date(2026, 1, 5), dt.date(2026, 2, 23))
    assert {"mape", "rmse", "coverage_p10_p90", "days"} <= set(model.metrics)
    assert model.metrics["days"] == 7
    artefact = Path(settings.PRIVATE_STORAGE_ROOT) / model.artefact_path
    assert artefact.is_file() and artefact.stat().st_size == model.artefact_bytes
    assert model.features and model.sklearn_version
    assert load_forecaster(model=model).resolution_minutes == 30


def test_train_and_issue_are_idempotent_and_retraining_retires_the_old_version(trained_world):
    first = train_scope(scope_id=trained_world.pk, as_of=AS_OF)
    same = train_scope(scope_id=trained_world.pk, as_of=AS_OF + dt.timedelta(hours=3))
    day = dt.date(2026, 2, 23)

    forecast = issue_forecast(scope_id=trained_world.pk, day=day, as_of=AS_OF)
    again = issue_forecast(scope_id=trained_world.pk, day=day, as_of=AS_OF + dt.timedelta(hours=1))

    assert same.pk == first.pk and ForecastModel.objects.count() == 1
    assert again.pk == forecast.pk and Forecast.objects.count() == 1
    slots = list(ForecastSlot.objects.filter(forecast=forecast).order_by("slot_start"))
    assert len(slots) == 48
    assert slots[0].slot_start == dt.datetime(2026, 2, 23, tzinfo=SHANGHAI)
    assert all(s.p10 <= s.p50 <= s.p90 for s in slots)
    # Monday evening peak: two 15-minute readings × multiplier 2 ≈ 2 × 2 × 1.8 kWh.
    evening = next(s for s in slots if s.slot_start.astimezone(SHANGHAI).hour == 19)
    assert 5.0 < evening.p50 < 9.0

    newer = train_scope(scope_id=trained_world.pk, as_of=AS_OF, force=True)
    first.refresh_from_db()
    assert (newer.version, newer.status, first.status) == (2, "active", "retired")


def test_issue_refuses_a_day_the_model_has_already_seen_and_a_scope_without_a_model(trained_world):
    with pytest.raises(ForecastError, match="no active model"):
        issue_forecast(scope_id=trained_world.pk, day=dt.date(2026, 2, 23), as_of=AS_OF)
    train_scope(scope_id=trained_world.pk, as_of=AS_OF)

    with pytest.raises(ForecastError, match="cannot forecast 2026-02-20"):
        issue_forecast(scope_id=trained_world.pk, day=dt.date(2026, 2, 20), as_of=AS_OF)


def test_too_little_history_is_a_clear_error(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    meter = make_meter(meter_no="NEW-1")
    synthetic_history(meter, first=dt.date(2026, 2, 10), days=10)
    scope = ForecastScope.objects.create(name="新", kind="account", account=meter.account)

    with pytest.raises(ForecastError, match="10 day\\(s\\) with load before 2026-02-23, 28 needed"):
        train_scope(scope_id=scope.pk, as_of=AS_OF)


def test_a_tampered_artefact_is_refused_before_it_is_unpickled(trained_world):
    model = train_scope(scope_id=trained_world.pk, as_of=AS_OF)
    artefact = Path(settings.PRIVATE_STORAGE_ROOT) / model.artefact_path
    blob = bytearray(artefact.read_bytes())
    blob[-1] ^= 0xFF
    artefact.write_bytes(bytes(blob))

    with pytest.raises(ArtefactIntegrityError, match="differs from the registered"):
        issue_forecast(scope_id=trained_world.pk, day=dt.date(2026, 2, 23), as_of=AS_OF)
    assert Forecast.objects.count() == 0


def test_an_artefact_outside_private_storage_is_refused(trained_world, tmp_path):
    model = train_scope(scope_id=trained_world.pk, as_of=AS_OF)
    outside = tmp_path / "elsewhere.bin"
    outside.write_bytes((Path(settings.PRIVATE_STORAGE_ROOT) / model.artefact_path).read_bytes())
    model.artefact_path = "../elsewhere.bin"
    model.save()

    with pytest.raises(ArtefactIntegrityError, match="outside"):
        load_forecaster(model=model)


# --- tasks and schedule ----------------------------------------------------------------------------


def test_beat_runs_the_retrain_at_night_and_the_issue_before_the_cut_off():
    from django.core.exceptions import ImproperlyConfigured

    from marketing_portal.settings.base import _hh_mm

    schedule = settings.CELERY_BEAT_SCHEDULE
    retrain, issue = schedule["analytics.forecast_retrain_all"], schedule["analytics.forecast_issue_all"]

    assert retrain["options"]["queue"] == issue["options"]["queue"] == "analytics"
    assert (issue["schedule"].hour, issue["schedule"].minute) == ({10}, {30})
    assert (retrain["schedule"].hour, retrain["schedule"].minute) == ({1}, {30})
    with pytest.raises(ImproperlyConfigured, match="FORECAST_ISSUE_TIME must be HH:MM"):
        _hh_mm("FORECAST_ISSUE_TIME", "25:00")


def test_issue_task_reports_a_scope_it_cannot_forecast_instead_of_retrying(grid):
    from analytics.tasks.forecasting import forecast_issue_all_task, forecast_issue_task

    scope = ForecastScope.objects.create(name="s", kind="system")

    result = forecast_issue_task.apply(
        kwargs={"scope_id": scope.pk, "day": "2026-03-03", "as_of": "2026-03-02T10:30:00+08:00"}
    ).get()
    fanned_out = forecast_issue_all_task.apply().get()

    assert result == {"scope_id": scope.pk, "error": f"scope {scope.pk} (s) has no active model; train it first"}
    assert fanned_out == 1 and Forecast.objects.count() == 0
