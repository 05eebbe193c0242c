"""Vectorised parsing and validation (VEE's "V") of one chunk of meter data.

Each row gets at most one reason, the first that applies in this order: malformed, unknown meter,
meter not installed, off the interval grid, future, negative, spike (interval data) or register
backwards / TOU sum mismatch (register reads). Wide daily rows are checked point by point, so one bad
point rejects that reading only and the rest of its line is kept.

Everything works on numpy arrays of the parsed cells (``layouts.split_fields`` and its typed-cell
parsers); reasons are small integers per reading and messages are written for rejected readings
only, so a clean chunk costs no per-row Python work at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import F
from django.db.models.functions import Coalesce

from billing.models import Meter, RegisterRead, RejectedRow
from billing.services.ingest import layouts
from billing.services.ingest.layouts import INTERVAL, NAT, NS, Layout, RawChunk
from core.time import SHANGHAI_NAME

MAX_KWH = 1e8  # numeric(12,4) holds up to 99,999,999.9999
KWH_SCALE = 4  # numeric(12, 4)
REGISTER_SCALE = 2  # numeric(14, 2)
REGISTERS = ("total", "sharp", "peak", "flat", "valley", "reactive")  # reactive (kvarh): optional column
QUALITY_CODES = {"": 0, "A": 0, "ACTUAL": 0, "0": 0, "E": 1, "ESTIMATED": 1, "1": 1}
NOT_REMOVED = np.iinfo(np.int64).max
LOCAL_OFFSET_S = 8 * 3600
LOOKUP_BATCH = 2000
METER_NO_MAX_LENGTH = Meter._meta.get_field("meter_no").max_length or 32
Reason = RejectedRow.Reason


@dataclass(frozen=True)
class ValidationSettings:
    as_of: dt.datetime
    spike_factor: float = 1.5  # × contracted kVA × interval hours: allows pf = 1 and a short overload
    tou_tolerance_kwh: float = 0.1  # registers are shown to 0.01 kWh; four rounded registers stay within this


@dataclass
class ValidatedChunk:
    index: int
    # interval: meter_id, epoch (UTC seconds), kwh_units (kWh × 10^4, exact), quality, line;
    # register: meter_id, epoch, <register>_units (kWh × 100) and <register>_null, line.
    valid: pd.DataFrame
    rejected: pd.DataFrame  # line, raw, reason_code, message
    received: int
    rejected_count: int
    duplicates: int
    meter_days: set[tuple[int, dt.date]] = field(default_factory=set)
    # interval: per meter, first/last epoch, count and step (s) of the valid readings
    coverage: pd.DataFrame | None = None


def _ns_of(value: dt.datetime | None, default: int) -> int:
    if value is None:
        return default
    return (value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1) * 1000


class MeterDirectory:
    """Meter facts needed for validation, loaded once per meter number and kept for the batch as
    numpy arrays (a batch may name hundreds of thousands of meters).

    Position 0 is a placeholder with neutral facts, never a meter: checks read the facts of every
    reading at ``np.where(known, position, 0)`` and mask unknown meters out, which must work when
    no meter of a chunk is known (a one-row file for an unknown meter)."""

    def __init__(self) -> None:
        self._position: dict[str, int] = {}
        self._missing: set[str] = set()
        self.meter_no: list[str] = [""]
        self.id = np.zeros(1, dtype=np.int64)
        self.installed = np.zeros(1, dtype=np.int64)  # ns since the epoch
        self.removed = np.full(1, NOT_REMOVED, dtype=np.int64)  # ns; NOT_REMOVED while in service
        self.interval = np.full(1, 15, dtype=np.int64)  # minutes
        self.multiplier = np.ones(1, dtype=float)
        self.capacity = np.full(1, np.nan, dtype=float)  # kVA: the account's contract, or the area's transformer
        self.register_digits = np.zeros(1, dtype=np.int64)

    def positions(self, meter_nos: Iterable[str]) -> np.ndarray:
        """Each meter number's position in the arrays, -1 when it is not registered. A number no
        meter can have (too long for the column, NUL or undecodable text) is not looked up at all."""
        meter_nos = list(meter_nos)
        wanted = [m for m in dict.fromkeys(meter_nos) if m and m not in self._position and m not in self._missing]
        impossible = {m for m in wanted if len(m) > METER_NO_MAX_LENGTH or layouts.storable_text(m) != m}
        self._missing |= impossible
        wanted = [m for m in wanted if m not in impossible]
        for start in range(0, len(wanted), LOOKUP_BATCH):
            part = wanted[start : start + LOOKUP_BATCH]
            rows = list(
                Meter.objects.filter(meter_no__in=part)
                .annotate(capacity_kva=Coalesce(F("account__contracted_kva"), F("area__transformer_kva")))
                .values_list(
                    "meter_no",
                    "id",
                    "installed_at",
                    "removed_at",
                    "interval_minutes",
                    "multiplier",
                    "capacity_kva",
                    "register_digits",
                )
            )
            self._append(rows)
            self._missing |= set(part) - {row[0] for row in rows}
        return np.array([self._position.get(m, -1) for m in meter_nos], dtype=np.int64)

    def _append(self, rows: list[tuple]) -> None:
        if not rows:
            return
        for offset, row in enumerate(rows):
            self._position[row[0]] = len(self.meter_no) + offset
        self.meter_no.extend(row[0] for row in rows)
        columns = list(zip(*rows, strict=True))
        self.id = np.concatenate((self.id, np.array(columns[1], dtype=np.int64)))
        self.installed = np.concatenate((self.installed, [_ns_of(v, 0) for v in columns[2]]))
        self.removed = np.concatenate((self.removed, [_ns_of(v, NOT_REMOVED) for v in columns[3]]))
        self.interval = np.concatenate((self.interval, np.array(columns[4], dtype=np.int64)))
        self.multiplier = np.concatenate((self.multiplier, [float(v) for v in columns[5]]))
        self.capacity = np.concatenate((self.capacity, [np.nan if v is None else float(v) for v in columns[6]]))
        self.register_digits = np.concatenate((self.register_digits, np.array(columns[7], dtype=np.int64)))


def parse_timestamps(values: pd.Series) -> pd.Series:
    """ISO 8601 with offset; a timestamp without offset is read as Asia/Shanghai local time."""
    return layouts.parse_timestamps(values)


class _Verdicts:
    """First reason wins: later checks only look at readings still without one. ``why`` holds the
    check that rejected each reading (0 = none yet); messages are made later, for rejected ones only."""

    def __init__(self, size: int) -> None:
        self.why = np.zeros(size, dtype=np.int16)

    @property
    def open(self) -> np.ndarray:
        return self.why == 0

    def reject(self, mask: np.ndarray, why: int) -> None:
        self.why[mask & (self.why == 0)] = why


def _local_text(ns: int) -> str:
    return str(pd.Timestamp(ns, tz="UTC").tz_convert(SHANGHAI_NAME))


def _meter_days(meter_id: np.ndarray, epoch: np.ndarray) -> set[tuple[int, dt.date]]:
    if not len(meter_id):
        return set()
    # One int64 key per meter-day (days since 1970 fit in 20 bits): a 1-D unique is a plain sort.
    keys = np.unique((meter_id << 20) | ((epoch + LOCAL_OFFSET_S) // 86400))
    origin = dt.date(1970, 1, 1)
    meters, days = (keys >> 20).tolist(), (keys & 0xFFFFF).tolist()
    return {(m, origin + dt.timedelta(days=d)) for m, d in zip(meters, days, strict=True)}


def _report(*, fields: layouts.ChunkFields, rows: np.ndarray, why: np.ndarray, reasons: dict, message) -> pd.DataFrame:
    """One rejected-row record per (line, reason, message): a wide line stands for many readings."""
    records = []
    raw_of: dict[int, str] = {}
    seen = set()
    rejected = np.flatnonzero(why)
    for reading, row, check in zip(rejected.tolist(), rows[rejected].tolist(), why[rejected].tolist(), strict=True):
        line = int(fields.line[row])
        text = message(check, reading, row)[:500]
        key = (line, reasons[check], text)
        if key in seen:
            continue
        seen.add(key)
        if row not in raw_of:
            raw_of[row] = fields.raw(np.array([row]))[0]
        records.append((line, raw_of[row], reasons[check], text))
    return pd.DataFrame.from_records(records, columns=["line", "raw", "reason_code", "message"])


# --- interval data ------------------------------------------------------------------------------

(
    _SHAPE,
    _TIMESTAMP,
    _NOT_A_NUMBER,
    _OUT_OF_RANGE,
    _QUALITY,
    _UNKNOWN,
    _NOT_INSTALLED,
    _RESOLUTION,
    _OFF_GRID,
    _FUTURE,
    _NEGATIVE,
    _SPIKE,
) = range(1, 13)
_INTERVAL_REASONS = {
    _SHAPE: Reason.MALFORMED,
    _TIMESTAMP: Reason.MALFORMED,
    _NOT_A_NUMBER: Reason.MALFORMED,
    _OUT_OF_RANGE: Reason.MALFORMED,
    _QUALITY: Reason.MALFORMED,
    _UNKNOWN: Reason.UNKNOWN_METER,
    _NOT_INSTALLED: Reason.NOT_INSTALLED,
    _RESOLUTION: Reason.OFF_GRID,
    _OFF_GRID: Reason.OFF_GRID,
    _FUTURE: Reason.FUTURE,
    _NEGATIVE: Reason.NEGATIVE,
    _SPIKE: Reason.SPIKE,
}


@dataclass
class ParsedChunk:
    """A chunk parsed into typed arrays, before anything is looked up in the database. Interval data
    has one entry per reading (``row`` = its row in ``fields``); register reads one per row."""

    index: int
    fields: layouts.ChunkFields
    codes: np.ndarray  # each row's meter number as an index into ``numbers``
    numbers: list[str]
    malformed: np.ndarray  # per row: "" or why its shape is wrong
    row: np.ndarray
    ts: np.ndarray  # int64 ns since the epoch, NAT when unreadable
    values: dict[str, np.ndarray]  # float values (NaN: blank or unreadable)
    units: dict[str, np.ndarray]  # exact values in units of the column's scale
    blanks: dict[str, np.ndarray]
    column: np.ndarray | None = None  # interval: the file column of each reading (wide: p1 = 2)
    quality: np.ndarray | None = None  # interval: 0 actual, 1 estimated, -1 unreadable


def parse_interval_chunk(*, chunk: RawChunk, layout: Layout) -> ParsedChunk:
    """Pure parsing, no database: safe to run ahead in another thread."""
    fields = layouts.split_fields(chunk, layout)
    malformed = fields.malformed.copy()
    codes, numbers = layouts.meter_numbers(fields)
    if layout.points:
        # One reading per point; a blank point is a missing reading (a gap for estimation), not an error.
        day = layouts.dates(fields, 1)
        malformed[(day == NAT) & (malformed == "")] = "date is not a date (YYYY-MM-DD)"
        row = np.repeat(np.arange(len(fields)), layout.points)
        column = np.tile(np.arange(2, 2 + layout.points), len(fields))
        kwh, units, blank = layouts.numbers(fields, row, column, scale=KWH_SCALE)
        keep = ~blank | (malformed[row] != "")
        row, column, kwh, units = row[keep], column[keep], kwh[keep], units[keep]
        step = np.int64(layout.interval_minutes * 60 * NS)
        ts = np.where(day[row] == NAT, NAT, day[row] + (column - 2) * step)
        quality = np.zeros(len(row), dtype=np.int64)
    else:
        row = np.arange(len(fields))
        column = np.full(len(row), 2)
        ts = layouts.timestamps(fields, 1)
        kwh, units, _ = layouts.numbers(fields, row, column, scale=KWH_SCALE)
        quality = (
            layouts.cell_codes(fields, 3, QUALITY_CODES)
            if len(layout.columns) > 3
            else np.zeros(len(row), dtype=np.int64)
        )
    return ParsedChunk(
        index=chunk.index,
        fields=fields,
        codes=codes,
        numbers=numbers,
        malformed=malformed,
        row=row,
        ts=ts,
        values={"kwh": kwh},
        units={"kwh": units},
        blanks={},
        column=column,
        quality=quality,
    )


def check_interval_chunk(
    *, parsed: ParsedChunk, layout: Layout, meters: MeterDirectory, settings: ValidationSettings
) -> ValidatedChunk:
    fields, codes, numbers, malformed = parsed.fields, parsed.codes, parsed.numbers, parsed.malformed
    row, column, ts, quality = parsed.row, parsed.column, parsed.ts, parsed.quality
    assert column is not None and quality is not None  # parse_interval_chunk sets both
    kwh, units = parsed.values["kwh"], parsed.units["kwh"]
    verdicts = _Verdicts(len(row))
    verdicts.reject(malformed[row] != "", _SHAPE)
    verdicts.reject(ts == NAT, _TIMESTAMP)
    verdicts.reject(~np.isfinite(kwh), _NOT_A_NUMBER)
    verdicts.reject(np.abs(kwh) >= MAX_KWH, _OUT_OF_RANGE)
    verdicts.reject(quality < 0, _QUALITY)

    position = meters.positions(numbers)[codes][row]
    known = position >= 0
    verdicts.reject(~known, _UNKNOWN)
    at = np.where(known, position, 0)
    installed, removed, interval = meters.installed[at], meters.removed[at], meters.interval[at]
    verdicts.reject(known & ((ts < installed) | (ts >= removed)), _NOT_INSTALLED)
    if layout.points:
        verdicts.reject(known & (interval != layout.interval_minutes), _RESOLUTION)
    span = interval * 60 * NS
    verdicts.reject(known & (ts % np.where(known, span, 1) != 0), _OFF_GRID)
    verdicts.reject(known & (ts + span > _ns_of(settings.as_of, 0)), _FUTURE)
    verdicts.reject(kwh < 0, _NEGATIVE)
    # Same arithmetic (and so the same rounding) as the documented rule: kVA × minutes / 60 × factor.
    limit = meters.capacity[at] * interval.astype(float) / 60 * settings.spike_factor
    verdicts.reject(known & (kwh * meters.multiplier[at] > limit), _SPIKE)

    def message(check: int, reading: int, line_row: int) -> str:
        prefix = f"p{column[reading] - 1}: " if layout.points else ""
        if check == _SHAPE:
            return malformed[line_row]
        if check == _TIMESTAMP:
            return "timestamp is not ISO 8601 (e.g. 2026-11-01T00:15:00+08:00)"
        if check == _NOT_A_NUMBER:
            return prefix + "kWh value is not a number"
        if check == _OUT_OF_RANGE:
            return prefix + "kWh value is out of range"
        if check == _QUALITY:
            return "quality must be A (actual) or E (estimated)"
        if check == _UNKNOWN:
            return f"meter {numbers[codes[line_row]]} is not registered"
        if check == _NOT_INSTALLED:
            return prefix + f"meter was not installed at {_local_text(int(ts[reading]))}"
        if check == _RESOLUTION:
            return f"meter records {interval[reading]}-minute intervals, the file has {layout.interval_minutes}-minute points"
        if check == _OFF_GRID:
            return f"timestamp is not on the meter's {interval[reading]}-minute grid"
        if check == _FUTURE:
            return prefix + "interval has not ended yet"
        if check == _NEGATIVE:
            return prefix + "negative kWh"
        return (
            prefix + f"kWh × multiplier exceeds {float(np.round(limit[reading], 3))} kWh, "
            "the most the contracted capacity can draw"
        )

    accepted = verdicts.open
    valid = pd.DataFrame(
        {
            "meter_id": meters.id[at[accepted]],
            "epoch": ts[accepted] // NS,
            "kwh_units": units[accepted],
            "quality": quality[accepted].astype(np.int16),
            "line": fields.line[row[accepted]],
        }
    )
    before = len(valid)
    keep = ~valid.duplicated(subset=["meter_id", "epoch"], keep="last")  # file order: the later row wins
    valid = valid[keep]
    # What this chunk covers per meter, for estimation to tell where gaps may be (see estimation).
    coverage = (
        valid.assign(step=interval[accepted][keep.to_numpy()] * 60)
        .groupby("meter_id", sort=False)
        .agg(first=("epoch", "min"), last=("epoch", "max"), count=("epoch", "size"), step=("step", "first"))
        .reset_index()
    )
    rejected = _report(fields=fields, rows=row, why=verdicts.why, reasons=_INTERVAL_REASONS, message=message)
    return ValidatedChunk(
        index=parsed.index,
        valid=valid.reset_index(drop=True),
        rejected=rejected,
        received=len(row),
        rejected_count=int((~accepted).sum()),
        duplicates=before - len(valid),
        meter_days=_meter_days(valid["meter_id"].to_numpy(), valid["epoch"].to_numpy()),
        coverage=coverage,
    )


# --- register reads -------------------------------------------------------------------------------

_REGISTER_NAN = {name: 3 + i for i, name in enumerate(REGISTERS)}  # 3 … 8
_R_SHAPE, _R_TIMESTAMP = 1, 2
_R_UNKNOWN, _R_NOT_INSTALLED, _R_FUTURE, _R_NEGATIVE, _R_TOU, _R_BACKWARDS = range(9, 15)
_REGISTER_REASONS = {
    _R_SHAPE: Reason.MALFORMED,
    _R_TIMESTAMP: Reason.MALFORMED,
    **{check: Reason.MALFORMED for check in _REGISTER_NAN.values()},
    _R_UNKNOWN: Reason.UNKNOWN_METER,
    _R_NOT_INSTALLED: Reason.NOT_INSTALLED,
    _R_FUTURE: Reason.FUTURE,
    _R_NEGATIVE: Reason.NEGATIVE,
    _R_TOU: Reason.TOU_SUM_MISMATCH,
    _R_BACKWARDS: Reason.REGISTER_BACKWARDS,
}
PG_PREVIOUS_READS = f"""
SELECT p.meter_id, p.read_at, {", ".join(f"p.{name}" for name in REGISTERS)}
FROM unnest(%s::bigint[], %s::timestamptz[]) AS f(meter_id, first_read)
CROSS JOIN LATERAL (
    SELECT r.* FROM billing_registerread r
    WHERE r.meter_id = f.meter_id AND r.read_at < f.first_read ORDER BY r.read_at DESC LIMIT 1
) p
"""


def _previous_reads(meter_ids: list[int], before: list[dt.datetime]) -> pd.DataFrame:
    """For each meter, the latest stored read strictly before its earliest read in this chunk."""
    columns = ["meter_id", "read_at", *REGISTERS]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(PG_PREVIOUS_READS, [meter_ids, before])
            records = cursor.fetchall()
    else:
        records = []
        for meter_id, first in zip(meter_ids, before, strict=True):
            previous = (
                RegisterRead.objects.filter(meter_id=meter_id, read_at__lt=first)
                .order_by("-read_at")
                .values_list(*columns)
                .first()
            )
            if previous:
                records.append(previous)
    frame = pd.DataFrame.from_records(records, columns=columns)
    for name in REGISTERS:
        frame[name] = frame[name].astype(float)
    frame["ts"] = _ns_series(frame["read_at"])
    return frame.drop(columns="read_at")


def _ns_series(values: pd.Series) -> pd.Series:
    return pd.Series([_ns_of(v, NAT) for v in values], index=values.index, dtype=np.int64)


def parse_register_chunk(*, chunk: RawChunk, layout: Layout) -> ParsedChunk:
    """Pure parsing, no database: safe to run ahead in another thread."""
    fields = layouts.split_fields(chunk, layout)
    size = len(fields)
    row = np.arange(size)
    codes, numbers = layouts.meter_numbers(fields)
    values, units, blanks = {}, {}, {}
    for name in REGISTERS:
        if name not in layout.columns:  # a file without the optional reactive column
            values[name], units[name], blanks[name] = (
                np.full(size, np.nan),
                np.zeros(size, dtype=np.int64),
                np.ones(size, dtype=bool),
            )
            continue
        values[name], units[name], blanks[name] = layouts.numbers(
            fields, row, np.full(size, layout.columns.index(name)), scale=REGISTER_SCALE
        )
    return ParsedChunk(
        index=chunk.index,
        fields=fields,
        codes=codes,
        numbers=numbers,
        malformed=fields.malformed,
        row=row,
        ts=layouts.timestamps(fields, 1),
        values=values,
        units=units,
        blanks=blanks,
    )


def check_register_chunk(
    *, parsed: ParsedChunk, layout: Layout, meters: MeterDirectory, settings: ValidationSettings
) -> ValidatedChunk:
    fields, codes, numbers, row, ts = parsed.fields, parsed.codes, parsed.numbers, parsed.row, parsed.ts
    values, units, blanks = parsed.values, parsed.units, parsed.blanks
    size = len(row)
    verdicts = _Verdicts(size)
    verdicts.reject(fields.malformed != "", _R_SHAPE)
    verdicts.reject(ts == NAT, _R_TIMESTAMP)
    for name in REGISTERS:
        required = name == "total"
        bad = (~np.isfinite(values[name]) & (~blanks[name] | required)) | (np.abs(values[name]) >= MAX_KWH)
        verdicts.reject(bad, _REGISTER_NAN[name])
    position = meters.positions(numbers)[codes]
    known = position >= 0
    verdicts.reject(~known, _R_UNKNOWN)
    at = np.where(known, position, 0)
    verdicts.reject(known & ((ts < meters.installed[at]) | (ts > meters.removed[at])), _R_NOT_INSTALLED)
    verdicts.reject(ts > _ns_of(settings.as_of, 0), _R_FUTURE)
    verdicts.reject(np.any([values[name] < 0 for name in REGISTERS], axis=0), _R_NEGATIVE)
    tou = ("sharp", "peak", "flat", "valley")
    tou_sum = sum(np.nan_to_num(values[name], nan=0.0) for name in tou)
    has_tou = np.any([~np.isnan(values[name]) for name in tou], axis=0)
    # Every register counts from the same zero but wraps on its own at 10^digits (the rule of
    # billing.services.registers): once the total has wrapped and the TOU registers have not (or the
    # other way round), the raw values differ by whole turns of the dial. Unwrap those turns before
    # comparing, or every read after a wrap would be rejected for ever.
    dial = np.power(10.0, meters.register_digits[at].astype(float))
    raw_gap = tou_sum - values["total"]
    turns = np.round(raw_gap / dial)
    tou_gap = raw_gap - turns * dial
    mismatch = has_tou & (np.abs(tou_gap) > settings.tou_tolerance_kwh)
    verdicts.reject(mismatch, _R_TOU)

    # Registers must not go backwards against the previous read of the same meter (stored or earlier
    # in this file), unless the register rolled over past 10^digits.
    candidates = verdicts.open
    ordered = pd.DataFrame({"meter_id": meters.id[at], "ts": ts, **values})[candidates]
    ordered = ordered.sort_values(["meter_id", "ts"], kind="stable")
    ordered = ordered[~ordered.duplicated(subset=["meter_id", "ts"], keep="last")]
    if len(ordered):
        first = ordered.groupby("meter_id")["ts"].min()
        stored = _previous_reads(
            [int(m) for m in first.index], [pd.Timestamp(int(t), tz="UTC").to_pydatetime() for t in first]
        ).assign(stored=True)
        stored.index = -1 - np.arange(len(stored))  # keep stored reads apart from the chunk's row labels
        timeline = pd.concat([stored, ordered.assign(stored=False)]).sort_values(["meter_id", "ts"], kind="stable")
        digits = pd.Series(meters.register_digits[at], index=meters.id[at]).groupby(level=0).first()
        rollover = np.power(10.0, digits.reindex(timeline["meter_id"]).to_numpy().astype(float))
        backwards = pd.Series(False, index=timeline.index)
        for name in REGISTERS:
            previous = timeline.groupby("meter_id")[name].shift()
            rolled = (previous > 0.9 * rollover) & (timeline[name] < 0.1 * rollover)
            backwards |= (timeline[name] < previous) & ~rolled
        backwards &= ~timeline["stored"].astype(bool)
        verdicts.reject(np.isin(row, backwards[backwards].index.to_numpy()), _R_BACKWARDS)

    def message(check: int, reading: int, line_row: int) -> str:
        if check == _R_SHAPE:
            return fields.malformed[line_row]
        if check == _R_TIMESTAMP:
            return "read_at is not ISO 8601 (e.g. 2026-11-01T00:00:00+08:00)"
        if check == _R_UNKNOWN:
            return f"meter {numbers[codes[line_row]]} is not registered"
        if check == _R_NOT_INSTALLED:
            return f"meter was not installed at {_local_text(int(ts[reading]))}"
        if check == _R_FUTURE:
            return "read_at is in the future"
        if check == _R_NEGATIVE:
            return "a register is negative"
        if check == _R_TOU:
            total = float(np.round(values["total"][reading], 2))
            wraps = f" ({int(turns[reading]):+d} turn(s) of the dial unwrapped)" if turns[reading] else ""
            return f"sharp+peak+flat+valley = {float(np.round(tou_sum[reading], 2))} but total = {total}{wraps}"
        if check == _R_BACKWARDS:
            return "register is lower than the previous read"
        name = REGISTERS[check - 3]
        return f"{name} is not a number"

    accepted = verdicts.open
    valid = pd.DataFrame({"meter_id": meters.id[at[accepted]], "epoch": ts[accepted] // NS})
    for name in REGISTERS:
        valid[f"{name}_units"] = units[name][accepted]
        valid[f"{name}_null"] = blanks[name][accepted]
    valid["line"] = fields.line[accepted]
    before = len(valid)
    valid = valid[~valid.duplicated(subset=["meter_id", "epoch"], keep="last")]
    rejected = _report(fields=fields, rows=row, why=verdicts.why, reasons=_REGISTER_REASONS, message=message)
    return ValidatedChunk(
        index=parsed.index,
        valid=valid.reset_index(drop=True),
        rejected=rejected,
        received=size,
        rejected_count=int((~accepted).sum()),
        duplicates=before - len(valid),
    )


def parse_chunk(*, chunk: RawChunk, layout: Layout) -> ParsedChunk:
    parser = parse_interval_chunk if layout.kind == INTERVAL else parse_register_chunk
    return parser(chunk=chunk, layout=layout)


def check_chunk(
    *, parsed: ParsedChunk, layout: Layout, meters: MeterDirectory, settings: ValidationSettings
) -> ValidatedChunk:
    """The rules that need the meters (looked up in the database on this thread)."""
    checker = check_interval_chunk if layout.kind == INTERVAL else check_register_chunk
    return checker(parsed=parsed, layout=layout, meters=meters, settings=settings)


def validate_chunk(
    *, chunk: RawChunk, layout: Layout, meters: MeterDirectory, settings: ValidationSettings
) -> ValidatedChunk:
    return check_chunk(parsed=parse_chunk(chunk=chunk, layout=layout), layout=layout, meters=meters, settings=settings)
