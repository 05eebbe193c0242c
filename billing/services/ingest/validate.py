"""Vectorised parsing and validation (VEE's "V") of one chunk of meter data.

Each row gets at most one reason, the first that applies in this order: malformed, unknown meter,
meter not installed, off the interval grid, future, negative, spike (interval data) or register
backwards / TOU sum mismatch (register reads). Wide daily rows are checked point by point, so one bad
point rejects that reading only and the rest of its line is kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db.models import F
from django.db.models.functions import Coalesce

from billing.models import Meter, RegisterRead, RejectedRow
from billing.services.ingest.layouts import INTERVAL, Layout, RawChunk

SHANGHAI = "Asia/Shanghai"
MAX_KWH = 1e8  # numeric(12,4) holds up to 99,999,999.9999
REGISTERS = ("total", "sharp", "peak", "flat", "valley")
QUALITY_CODES = {"": 0, "A": 0, "ACTUAL": 0, "0": 0, "E": 1, "ESTIMATED": 1, "1": 1}
Reason = RejectedRow.Reason


@dataclass(frozen=True)
class ValidationSettings:
    as_of: dt.datetime
    spike_factor: float = 1.5  # × contracted kVA × interval hours: allows pf = 1 and a short overload
    tou_tolerance_kwh: float = 0.1  # registers are shown to 0.01 kWh; four rounded registers stay within this


@dataclass
class ValidatedChunk:
    index: int
    valid: (
        pd.DataFrame
    )  # interval: meter_id, ts, kwh_text, quality, line; register: meter_id, ts, <registers>_text, line
    rejected: pd.DataFrame  # line, raw, reason_code, message
    received: int
    rejected_count: int
    duplicates: int
    meter_days: set[tuple[int, dt.date]] = field(default_factory=set)


class MeterDirectory:
    """Meter facts needed for validation, loaded once per meter number and kept for the batch."""

    def __init__(self) -> None:
        self._known: dict[str, dict] = {}
        self._missing: set[str] = set()

    def lookup(self, meter_nos: Iterable[str]) -> pd.DataFrame:
        wanted = {m for m in meter_nos if m and m not in self._known and m not in self._missing}
        if wanted:
            rows = (
                Meter.objects.filter(meter_no__in=wanted)
                .annotate(capacity_kva=Coalesce(F("account__contracted_kva"), F("area__transformer_kva")))
                .values(
                    "meter_no", "id", "installed_at", "removed_at", "interval_minutes", "multiplier",
                    "capacity_kva", "has_tou_registers", "register_digits",
                )
            )  # fmt: skip
            for row in rows:
                self._known[row["meter_no"]] = row
            self._missing |= wanted - set(self._known)
        frame = pd.DataFrame.from_records(list(self._known.values()))
        if frame.empty:
            frame = pd.DataFrame(
                columns=[
                    "meter_no",
                    "id",
                    "installed_at",
                    "removed_at",
                    "interval_minutes",
                    "multiplier",
                    "capacity_kva",
                    "has_tou_registers",
                    "register_digits",
                ]
            )
        frame["installed_at"] = pd.to_datetime(frame["installed_at"], utc=True)
        frame["removed_at"] = pd.to_datetime(frame["removed_at"], utc=True)
        for column in ("multiplier", "capacity_kva"):
            frame[column] = frame[column].astype(float)
        return frame.set_index("meter_no")


def parse_timestamps(values: pd.Series) -> pd.Series:
    """ISO 8601 with offset; a timestamp without offset is read as Asia/Shanghai local time."""
    text = values.str.strip()
    has_offset = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True)
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if has_offset.any():
        result[has_offset] = pd.to_datetime(text[has_offset], format="ISO8601", utc=True, errors="coerce")
    naive = ~has_offset & (text != "")
    if naive.any():
        local = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        result[naive] = local.dt.tz_localize(SHANGHAI).dt.tz_convert("UTC")
    return result


def _parse_dates(values: pd.Series) -> pd.Series:
    text = values.str.strip().str.replace("/", "-", regex=False)
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    compact = parsed.isna() & text.str.fullmatch(r"\d{8}")
    if compact.any():
        parsed[compact] = pd.to_datetime(text[compact], format="%Y%m%d", errors="coerce")
    return parsed


class _Verdicts:
    """First reason wins: later checks only look at rows still without a reason."""

    def __init__(self, index: pd.Index) -> None:
        self.code = pd.Series("", index=index, dtype=object)
        self.message = pd.Series("", index=index, dtype=object)

    @property
    def open(self) -> pd.Series:
        return self.code == ""

    def reject(self, mask: pd.Series, code: str, message) -> None:
        hit = mask.fillna(False).astype(bool) & self.open
        if not hit.any():
            return
        self.code[hit] = code
        self.message[hit] = message[hit] if isinstance(message, pd.Series) else message


def _local_day(ts: pd.Series) -> pd.Series:
    return ts.dt.tz_convert(SHANGHAI).dt.date


def _interval_frame(chunk: RawChunk, layout: Layout) -> pd.DataFrame:
    """One row per reading: line, raw, malformed, meter_no, ts, kwh_text, quality_text, point."""
    frame = chunk.frame
    if not layout.points:
        long = frame.rename(columns={"timestamp": "ts_text", "kwh": "kwh_text"})
        long["quality_text"] = long["quality"] if "quality" in long else ""
        long["ts"] = parse_timestamps(long["ts_text"])
        long["point"] = ""
        return long
    points = [f"p{i}" for i in range(1, layout.points + 1)]
    day = _parse_dates(frame["date"]).dt.tz_localize(SHANGHAI).dt.tz_convert("UTC")
    long = frame[["line", "raw", "malformed", "meter_no"]].loc[frame.index.repeat(layout.points)].reset_index(drop=True)
    offsets = np.tile(np.arange(layout.points) * layout.interval_minutes, len(frame))
    long["ts"] = day.loc[frame.index.repeat(layout.points)].reset_index(drop=True) + pd.to_timedelta(
        offsets, unit="min"
    )
    long["kwh_text"] = frame[points].to_numpy().reshape(-1)
    long["point"] = np.tile(np.array(points, dtype=object), len(frame))
    long["quality_text"] = ""
    bad_date = long["ts"].isna() & (long["malformed"] == "")
    long.loc[bad_date, "malformed"] = "date is not a date (YYYY-MM-DD)"
    # A blank point is a missing reading (a gap for estimation), not an error.
    return long[(long["kwh_text"].str.strip() != "") | (long["malformed"] != "")].reset_index(drop=True)


def validate_interval_chunk(
    *, chunk: RawChunk, layout: Layout, meters: MeterDirectory, settings: ValidationSettings
) -> ValidatedChunk:
    rows = _interval_frame(chunk, layout)
    verdicts = _Verdicts(rows.index)
    prefix = rows["point"].where(rows["point"] == "", rows["point"] + ": ")
    verdicts.reject(rows["malformed"] != "", Reason.MALFORMED, rows["malformed"])
    verdicts.reject(rows["ts"].isna(), Reason.MALFORMED, "timestamp is not ISO 8601 (e.g. 2026-11-01T00:15:00+08:00)")
    kwh = pd.to_numeric(rows["kwh_text"].str.strip(), errors="coerce")
    verdicts.reject(~np.isfinite(kwh), Reason.MALFORMED, prefix + "kWh value is not a number")
    verdicts.reject(kwh.abs() >= MAX_KWH, Reason.MALFORMED, prefix + "kWh value is out of range")
    quality = rows["quality_text"].str.strip().str.upper().map(QUALITY_CODES)
    verdicts.reject(quality.isna(), Reason.MALFORMED, "quality must be A (actual) or E (estimated)")

    rows["meter_no"] = rows["meter_no"].str.strip()
    info = meters.lookup(rows["meter_no"].unique()).reindex(rows["meter_no"])
    info.index = rows.index
    verdicts.reject(info["id"].isna(), Reason.UNKNOWN_METER, "meter " + rows["meter_no"] + " is not registered")
    verdicts.reject(
        (rows["ts"] < info["installed_at"]) | (info["removed_at"].notna() & (rows["ts"] >= info["removed_at"])),
        Reason.NOT_INSTALLED,
        prefix + "meter was not installed at " + rows["ts"].dt.tz_convert(SHANGHAI).astype(str),
    )
    interval = info["interval_minutes"].astype(float)
    epoch_seconds = (rows["ts"] - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    if layout.points:
        verdicts.reject(
            interval != layout.interval_minutes,
            Reason.OFF_GRID,
            "meter records "
            + interval.astype("Int64").astype(str)
            + "-minute intervals, the file has "
            + f"{layout.interval_minutes}-minute points",
        )
    verdicts.reject(
        (epoch_seconds % (interval * 60)) != 0,
        Reason.OFF_GRID,
        "timestamp is not on the meter's " + interval.astype("Int64").astype(str) + "-minute grid",
    )
    interval_end = rows["ts"] + pd.to_timedelta(interval.fillna(0), unit="min")
    verdicts.reject(interval_end > pd.Timestamp(settings.as_of), Reason.FUTURE, prefix + "interval has not ended yet")
    verdicts.reject(kwh < 0, Reason.NEGATIVE, prefix + "negative kWh")
    limit = info["capacity_kva"] * interval / 60 * settings.spike_factor
    verdicts.reject(
        kwh * info["multiplier"] > limit,
        Reason.SPIKE,
        prefix
        + "kWh × multiplier exceeds "
        + limit.round(3).astype(str)
        + " kWh, the most the contracted capacity can draw",
    )

    accepted = verdicts.open
    valid = pd.DataFrame(
        {
            "meter_id": info.loc[accepted, "id"].astype("int64"),
            "ts": rows.loc[accepted, "ts"],
            "kwh_text": rows.loc[accepted, "kwh_text"].str.strip(),
            "quality": quality[accepted].astype("int16"),
            "line": rows.loc[accepted, "line"],
        }
    )
    before = len(valid)
    valid = valid.drop_duplicates(subset=["meter_id", "ts"], keep="last")  # file order: the later row wins
    rejected_mask = ~accepted
    rejected = pd.DataFrame(
        {
            "line": rows.loc[rejected_mask, "line"],
            "raw": rows.loc[rejected_mask, "raw"],
            "reason_code": verdicts.code[rejected_mask],
            "message": verdicts.message[rejected_mask].astype(str).str.slice(0, 500),
        }
    )
    # One report per malformed line even when a wide line stood for many readings.
    report = rejected.drop_duplicates(subset=["line", "reason_code", "message"])
    meter_days = set(zip(valid["meter_id"].tolist(), _local_day(valid["ts"]).tolist(), strict=True))
    return ValidatedChunk(
        index=chunk.index,
        valid=valid.reset_index(drop=True),
        rejected=report.reset_index(drop=True),
        received=len(rows),
        rejected_count=int(rejected_mask.sum()),
        duplicates=before - len(valid),
        meter_days=meter_days,
    )


def _previous_reads(meter_ids: list[int], before: pd.Series) -> pd.DataFrame:
    """For each meter, the latest stored read strictly before its earliest read in this chunk."""
    records = []
    for meter_id, first_ts in zip(meter_ids, before, strict=True):
        previous = (
            RegisterRead.objects.filter(meter_id=meter_id, read_at__lt=first_ts.to_pydatetime())
            .order_by("-read_at")
            .values("meter_id", "read_at", *REGISTERS)
            .first()
        )
        if previous:
            records.append(previous)
    frame = pd.DataFrame.from_records(records, columns=["meter_id", "read_at", *REGISTERS])
    for name in REGISTERS:
        frame[name] = frame[name].astype(float)
    return frame


def validate_register_chunk(
    *, chunk: RawChunk, layout: Layout, meters: MeterDirectory, settings: ValidationSettings
) -> ValidatedChunk:
    rows = chunk.frame.copy()
    verdicts = _Verdicts(rows.index)
    verdicts.reject(rows["malformed"] != "", Reason.MALFORMED, rows["malformed"])
    rows["ts"] = parse_timestamps(rows["read_at"])
    verdicts.reject(rows["ts"].isna(), Reason.MALFORMED, "read_at is not ISO 8601 (e.g. 2026-11-01T00:00:00+08:00)")
    values = {}
    for name in REGISTERS:
        text = rows[name].str.strip()
        values[name] = pd.to_numeric(text, errors="coerce")
        required = name == "total"
        bad = (~np.isfinite(values[name]) & ((text != "") | required)) | (values[name].abs() >= MAX_KWH)
        verdicts.reject(bad, Reason.MALFORMED, f"{name} is not a number")
    rows["meter_no"] = rows["meter_no"].str.strip()
    info = meters.lookup(rows["meter_no"].unique()).reindex(rows["meter_no"])
    info.index = rows.index
    verdicts.reject(info["id"].isna(), Reason.UNKNOWN_METER, "meter " + rows["meter_no"] + " is not registered")
    verdicts.reject(
        (rows["ts"] < info["installed_at"]) | (info["removed_at"].notna() & (rows["ts"] > info["removed_at"])),
        Reason.NOT_INSTALLED,
        "meter was not installed at " + rows["ts"].dt.tz_convert(SHANGHAI).astype(str),
    )
    verdicts.reject(rows["ts"] > pd.Timestamp(settings.as_of), Reason.FUTURE, "read_at is in the future")
    negative = pd.concat([values[n] < 0 for n in REGISTERS], axis=1).any(axis=1)
    verdicts.reject(negative, Reason.NEGATIVE, "a register is negative")
    tou_sum = (
        values["sharp"].fillna(0) + values["peak"].fillna(0) + values["flat"].fillna(0) + values["valley"].fillna(0)
    )
    has_tou = pd.concat([values[n].notna() for n in ("sharp", "peak", "flat", "valley")], axis=1).any(axis=1)
    mismatch = has_tou & ((tou_sum - values["total"]).abs() > settings.tou_tolerance_kwh)
    verdicts.reject(
        mismatch,
        Reason.TOU_SUM_MISMATCH,
        "sharp+peak+flat+valley = "
        + tou_sum.round(2).astype(str)
        + " but total = "
        + values["total"].round(2).astype(str),
    )

    # Registers must not go backwards against the previous read of the same meter (stored or earlier
    # in this file), unless the register rolled over past 10^digits.
    candidates = verdicts.open
    ordered = pd.DataFrame({"meter_id": info["id"], "ts": rows["ts"], **values})[candidates]
    ordered = ordered.sort_values(["meter_id", "ts"], kind="stable")
    ordered = ordered[~ordered.duplicated(subset=["meter_id", "ts"], keep="last")]
    if len(ordered):
        first = ordered.groupby("meter_id")["ts"].min()
        stored = _previous_reads([int(m) for m in first.index], first)
        stored = stored.rename(columns={"read_at": "ts"}).assign(stored=True)
        stored["ts"] = pd.to_datetime(stored["ts"], utc=True)
        stored.index = -1 - np.arange(len(stored))  # keep stored reads apart from the chunk's row labels
        timeline = pd.concat([stored, ordered.assign(stored=False)]).sort_values(["meter_id", "ts"], kind="stable")
        rollover = (
            info.drop_duplicates("id").set_index("id")["register_digits"].reindex(timeline["meter_id"]).to_numpy()
        )
        rollover = np.power(10.0, rollover.astype(float))
        backwards = pd.Series(False, index=timeline.index)
        for name in REGISTERS:
            previous = timeline.groupby("meter_id")[name].shift()
            rolled = (previous > 0.9 * rollover) & (timeline[name] < 0.1 * rollover)
            backwards |= (timeline[name] < previous) & ~rolled
        backwards &= ~timeline["stored"]
        flagged = backwards[backwards].index
        verdicts.reject(
            pd.Series(rows.index.isin(flagged), index=rows.index),
            Reason.REGISTER_BACKWARDS,
            "register is lower than the previous read",
        )

    accepted = verdicts.open
    valid = pd.DataFrame({"meter_id": info.loc[accepted, "id"].astype("int64"), "ts": rows.loc[accepted, "ts"]})
    for name in REGISTERS:
        valid[f"{name}_text"] = rows.loc[accepted, name].str.strip()
    valid["line"] = rows.loc[accepted, "line"]
    before = len(valid)
    valid = valid.drop_duplicates(subset=["meter_id", "ts"], keep="last")
    rejected_mask = ~accepted
    rejected = pd.DataFrame(
        {
            "line": rows.loc[rejected_mask, "line"],
            "raw": rows.loc[rejected_mask, "raw"],
            "reason_code": verdicts.code[rejected_mask],
            "message": verdicts.message[rejected_mask].astype(str).str.slice(0, 500),
        }
    )
    return ValidatedChunk(
        index=chunk.index,
        valid=valid.reset_index(drop=True),
        rejected=rejected.reset_index(drop=True),
        received=len(rows),
        rejected_count=int(rejected_mask.sum()),
        duplicates=before - len(valid),
    )


def validate_chunk(
    *, chunk: RawChunk, layout: Layout, meters: MeterDirectory, settings: ValidationSettings
) -> ValidatedChunk:
    validator = validate_interval_chunk if layout.kind == INTERVAL else validate_register_chunk
    return validator(chunk=chunk, layout=layout, meters=meters, settings=settings)
