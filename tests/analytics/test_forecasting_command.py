"""``manage.py forecast_backtest``: runs on a generated CSV, prints JSON last, refuses bad input clearly."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

KEYS = {"mape", "rmse", "pinball_p10", "pinball_p90", "coverage_p10_p90", "days", "seasonal_naive_mape"}


def write_csv(
    path, *, days: int = 35, start: str = "2026-07-06", freq: str = "1h", with_extras: bool = True
) -> pd.DataFrame:
    index = pd.date_range(start, periods=days * 24 * 60 // int(pd.Timedelta(freq).total_seconds() // 60), freq=freq)
    hour = index.hour.to_numpy() + index.minute.to_numpy() / 60
    rng = np.random.default_rng(1)
    temperature = 25 + 6 * np.sin((hour - 9) / 24 * 2 * np.pi) + np.repeat(rng.normal(0, 3, days), len(index) // days)
    weekend = index.day_of_week.to_numpy() >= 5
    load = 500 + 120 * np.sin((hour - 6) / 24 * 2 * np.pi) - 80 * weekend + 6 * (temperature - 25)
    frame = pd.DataFrame({"ts": index.strftime("%Y-%m-%d %H:%M"), "mw": load.round(3)})
    if with_extras:
        frame["temp_c"] = temperature.round(2)
        frame["working"] = (~weekend).astype(int)
    frame.to_csv(path, index=False)
    return frame


def run(*args) -> list[str]:
    out = StringIO()
    call_command("forecast_backtest", *map(str, args), stdout=out, stderr=StringIO())
    return out.getvalue().strip().splitlines()


def test_runs_on_a_generated_csv_and_prints_the_metrics_as_json_last(tmp_path):
    path = tmp_path / "series.csv"
    write_csv(path)
    lines = run(
        path,
        "--test-from",
        "2026-08-03",
        "--timestamp-col",
        "ts",
        "--value-col",
        "mw",
        "--temperature-col",
        "temp_c",
        "--workday-col",
        "working",
        "--forecasts-out",
        tmp_path / "forecasts.csv",
    )
    assert "temperature: yes" in lines[0] and "column working" in lines[0]
    result = json.loads(lines[-1])
    assert KEYS <= set(result)
    assert result["days"] == 7 and result["test_to"] == "2026-08-09" and result["resolution_minutes"] == 60
    assert result["uses_temperature"] is True
    assert 0 <= result["coverage_p10_p90"] <= 1 and result["mape"] < result["seasonal_naive_mape"] + 5
    written = pd.read_csv(tmp_path / "forecasts.csv")
    assert len(written) == 7 * 24 and {"actual", "p10", "p50", "p90", "seasonal_naive"} <= set(written.columns)


def test_without_optional_columns_the_mainland_calendar_decides(tmp_path):
    path = tmp_path / "plain.csv"
    frame = write_csv(path, with_extras=False)
    frame.rename(columns={"ts": "timestamp", "mw": "value"}).to_csv(path, index=False)
    result = json.loads(run(path, "--test-from", "2026-08-06", "--test-to", "2026-08-07")[-1])
    assert result["days"] == 2 and result["uses_temperature"] is False


@pytest.mark.parametrize(
    ("mutate", "args", "message"),
    [
        (None, ["--value-col", "load"], "no column 'load'"),
        (
            lambda f: f.assign(ts=f["ts"].where(f.index != 3, "yesterday-ish")),
            [],
            "line 5: cannot read ts 'yesterday-ish'",
        ),
        (
            lambda f: f.assign(mw=f["mw"].astype(str).where(f.index != 10, "n/a")),
            [],
            "line 12: mw 'n/a' is not a number",
        ),
        (
            lambda f: f.drop(index=[5]).assign(ts=lambda g: g["ts"].where(g.index != 7, "2026-07-06 06:20")),
            [],
            "irregular resolution",
        ),
        (
            lambda f: f.assign(working=f["working"].where(f.index != 2, 7)),
            ["--workday-col", "working"],
            "line 4: working must be 0 or 1",
        ),
        (None, ["--test-from", "2026-07-12"], "too little history before 2026-07-12"),
        (None, ["--test-from", "2026-09-30"], "no load to test on"),
    ],
)
def test_bad_input_is_a_clear_command_error(tmp_path, mutate, args, message):
    path = tmp_path / "bad.csv"
    frame = write_csv(path)
    if mutate is not None:
        mutate(frame).to_csv(path, index=False)
    base = {"--test-from": "2026-08-03", "--timestamp-col": "ts", "--value-col": "mw"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        run(path, *[item for pair in base.items() for item in pair])


def test_missing_file_and_offset_timestamps(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "nope.csv", "--test-from", "2026-08-03")
    # Timestamps with an offset are converted: 16:00 UTC is 00:00 next day in Shanghai.
    path = tmp_path / "utc.csv"
    frame = write_csv(path, with_extras=False)
    utc = pd.to_datetime(frame["ts"]).dt.tz_localize("Asia/Shanghai").dt.tz_convert("UTC")
    frame.assign(ts=utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ")).to_csv(path, index=False)
    result = json.loads(run(path, "--test-from", "2026-08-03", "--timestamp-col", "ts", "--value-col", "mw")[-1])
    assert result["days"] == 7 and result["test_from"] == dt.date(2026, 8, 3).isoformat()


def local_clock_csv(path, *, zone: str, start_utc: str, days: int, naive: bool) -> pd.DataFrame:
    """Hourly load following the local clock of `zone`, timestamps written as local wall time (naive, so
    the autumn hour repeats) or as UTC with a Z."""
    utc = pd.date_range(start_utc, periods=days * 24, freq="1h", tz="UTC")
    local = utc.tz_convert(zone)
    hour = local.hour.to_numpy()
    load = 500 + 120 * np.sin((hour - 6) / 24 * 2 * np.pi) - 80 * (local.day_of_week.to_numpy() >= 5)
    stamps = local.strftime("%Y-%m-%d %H:%M") if naive else utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame = pd.DataFrame({"timestamp": stamps, "value": load.round(3)})
    frame.to_csv(path, index=False)
    return frame


def test_local_time_with_daylight_saving_averages_the_repeated_autumn_hour(tmp_path):
    # London falls back on Sun 25 Oct 2026: 01:00 and 01:30 … here hourly, 01:00 BST then 01:00 GMT.
    path = tmp_path / "london.csv"
    frame = local_clock_csv(path, zone="Europe/London", start_utc="2026-09-27 23:00", days=35, naive=True)
    assert frame["timestamp"].duplicated().sum() == 1  # the repeated 01:00
    with pytest.raises(CommandError, match=r"line .*: duplicate timestamp 2026-10-25T01:00.*pass --timezone"):
        run(path, "--test-from", "2026-10-19")
    lines = run(path, "--test-from", "2026-10-19", "--test-to", "2026-10-27", "--timezone", "Europe/London")
    assert "2 values in the hour repeated when daylight saving time ends were averaged" in lines
    result = json.loads(lines[-1])
    assert result["days"] == 9 and result["resolution_minutes"] == 60


def test_utc_timestamps_are_forecast_in_the_days_of_the_given_zone(tmp_path):
    # Melbourne is UTC+10 in August: its midnight of 3 Aug is 14:00 UTC on 2 Aug.
    path = tmp_path / "melbourne.csv"
    frame = local_clock_csv(path, zone="Australia/Melbourne", start_utc="2026-06-28 14:00", days=42, naive=False)
    out = tmp_path / "forecasts.csv"
    args = ("--test-from", "2026-08-03", "--test-to", "2026-08-04", "--forecasts-out", out)
    result = json.loads(run(path, *args, "--timezone", "Australia/Melbourne")[-1])
    assert result["days"] == 2 and result["points"] == 48
    forecasts = pd.read_csv(out)
    # The first forecast slot is Melbourne's midnight, whose load is the CSV's 14:00 UTC row of 2 Aug.
    first = forecasts.iloc[0]
    assert first["timestamp"].startswith("2026-08-03 00:00")
    assert first["actual"] == frame.set_index("timestamp").loc["2026-08-02T14:00:00Z", "value"]
    with pytest.raises(CommandError, match="'Mars/Olympus' is not a time zone"):
        run(path, *args, "--timezone", "Mars/Olympus")
