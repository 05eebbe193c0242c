"""Recognise a meter-data file's layout from its header and read it in chunks of string columns.

Layouts (DESIGN.md "Meter data formats"): long interval ``meter_no,timestamp,kwh[,quality]``; wide
daily ``meter_no,date,p1..pN`` with N = 96, 48 or 24; register reads
``meter_no,read_at,total,sharp,peak,flat,valley``; the same fields as JSON records; and .xlsx
exports of any of them. Chinese header names used by collection systems are accepted too.

Every chunk keeps each row's source line number and raw text so a rejected row can be reported
exactly. Chunks are cut at fixed line counts, so a retried batch sees the same chunks again.
Quoted fields spanning lines are not supported: meter exports never contain them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import pandas as pd

INTERVAL = "interval"
REGISTER = "register"
WIDE_POINTS = (96, 48, 24)
EXTRA_COLUMNS = 8  # spare columns so a row with too many fields is caught as malformed, not a parser crash

ALIASES = {
    "meter_no": {"meter_no", "meterno", "meter", "meter_number", "表号", "电表编号", "电能表编号", "表计编号"},
    "timestamp": {"timestamp", "time", "datetime", "interval_start", "时间", "数据时间", "采集时间"},
    "kwh": {"kwh", "value", "energy", "电量", "用电量", "有功电量"},
    "quality": {"quality", "flag", "quality_flag", "质量", "数据质量"},
    "date": {"date", "day", "日期", "数据日期"},
    "read_at": {"read_at", "read_time", "reading_time", "抄表时间", "冻结时间"},
    "total": {"total", "总", "总示数", "正向有功总"},
    "sharp": {"sharp", "尖", "尖峰"},
    "peak": {"peak", "峰", "高峰"},
    "flat": {"flat", "平", "平段"},
    "valley": {"valley", "谷", "低谷"},
}
_CANONICAL = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
_POINT = re.compile(r"^(?:p|h|点)?(\d{1,2})$")


class UnknownLayoutError(ValueError):
    """The header matches none of the accepted layouts; the message says what was expected."""


@dataclass(frozen=True)
class Layout:
    kind: str  # INTERVAL or REGISTER
    name: str  # interval_long, interval_wide_96, …, register
    columns: tuple[str, ...]  # canonical names in file order
    points: int = 0  # readings per row for wide layouts

    @property
    def interval_minutes(self) -> int:
        return 1440 // self.points if self.points else 0


EXPECTED_LAYOUTS_HELP = (
    "expected one of: 'meter_no,timestamp,kwh[,quality]'; 'meter_no,date,p1,…,p96' (or 48/24 points); "
    "'meter_no,read_at,total,sharp,peak,flat,valley'"
)


def detect_layout(header: list[str]) -> Layout:
    names = [str(h).strip().lstrip("\ufeff").lower() for h in header]
    while names and names[-1] == "":
        names.pop()
    canonical = [_CANONICAL.get(n, n) for n in names]
    if canonical[:3] == ["meter_no", "timestamp", "kwh"] and canonical[3:] in ([], ["quality"]):
        return Layout(kind=INTERVAL, name="interval_long", columns=tuple(canonical))
    if canonical[:2] == ["meter_no", "date"]:
        points = canonical[2:]
        numbers = [int(m.group(1)) if (m := _POINT.match(p)) else None for p in points]
        if len(points) in WIDE_POINTS and numbers == list(range(1, len(points) + 1)):
            columns = ("meter_no", "date", *(f"p{i}" for i in range(1, len(points) + 1)))
            return Layout(kind=INTERVAL, name=f"interval_wide_{len(points)}", columns=columns, points=len(points))
        raise UnknownLayoutError(
            f"a daily curve needs columns p1…p96, p1…p48 or p1…p24 after meter_no,date; got {len(points)} value columns"
        )
    if canonical == ["meter_no", "read_at", "total", "sharp", "peak", "flat", "valley"]:
        return Layout(kind=REGISTER, name="register", columns=tuple(canonical))
    raise UnknownLayoutError(
        f"unrecognised header {','.join(names[:8])}{'…' if len(names) > 8 else ''}; {EXPECTED_LAYOUTS_HELP}"
    )


@dataclass
class RawChunk:
    """String columns named as in ``layout.columns`` plus ``line`` (source line / record number),
    ``raw`` (source text) and ``malformed`` (a message, or "" when the row has the right shape)."""

    index: int
    frame: pd.DataFrame


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) or, failing that, GB18030 as Chinese collection systems export."""
    with path.open("rb") as handle:
        sample = handle.read(1 << 16)
    try:
        sample.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start > len(sample) - 4:  # a multi-byte character cut by the sample's end
            return "utf-8-sig"
        return "gb18030"


def _frame_from_lines(lines: list[str], *, layout: Layout, first_line: int) -> pd.DataFrame:
    ncols = len(layout.columns)
    names = [*layout.columns, *(f"__extra{i}" for i in range(EXTRA_COLUMNS))]
    text = "".join(lines)
    try:
        frame = pd.read_csv(
            io.StringIO(text), header=None, names=names, dtype=str, keep_default_na=False,
            skip_blank_lines=False, engine="c", quoting=csv.QUOTE_MINIMAL,
        )  # fmt: skip
        too_many = frame[names[ncols:]].ne("").any(axis=1) if len(frame) else pd.Series(dtype=bool)
        frame = frame[list(layout.columns)]
    except pd.errors.ParserError:
        # A row with very many fields: fall back to the csv module for this chunk only.
        rows = list(csv.reader(io.StringIO(text)))
        too_many = pd.Series([len(r) > ncols for r in rows])
        frame = pd.DataFrame([(r + [""] * ncols)[:ncols] for r in rows], columns=list(layout.columns), dtype=str)
    if len(frame) != len(lines):
        raise ValueError("row count differs from line count (quoted line breaks are not supported)")
    frame.insert(0, "line", range(first_line, first_line + len(lines)))
    frame["raw"] = [line.rstrip("\r\n") for line in lines]
    blank = frame["raw"].str.strip() == ""
    # Required fields; TOU registers may be blank (meters without them) and wide points may be blank (gaps).
    required = [
        "meter_no",
        layout.columns[1],
        *(["total"] if layout.kind == REGISTER else [] if layout.points else ["kwh"]),
    ]
    missing = frame[required].eq("").any(axis=1)
    malformed = pd.Series("", index=frame.index)
    malformed[missing] = "missing fields"
    malformed[too_many.to_numpy()] = f"more than {ncols} fields"
    frame["malformed"] = malformed
    return frame[~blank].reset_index(drop=True)


def read_header(path: Path) -> tuple[Layout, str]:
    """The layout of a CSV file and the encoding it was read with."""
    encoding = _detect_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        first = handle.readline()
    if not first.strip():
        raise UnknownLayoutError(f"the file is empty; {EXPECTED_LAYOUTS_HELP}")
    header = next(csv.reader([first]))
    return detect_layout(header), encoding


def iter_csv_chunks(path: Path, *, layout: Layout, encoding: str, chunk_rows: int) -> Iterator[RawChunk]:
    lines_per_chunk = max(1, chunk_rows // (layout.points or 1))
    with path.open(encoding=encoding, newline="") as handle:
        handle.readline()  # header
        index, first_line = 0, 2
        while lines := list(islice(handle, lines_per_chunk)):
            yield RawChunk(index=index, frame=_frame_from_lines(lines, layout=layout, first_line=first_line))
            index += 1
            first_line += len(lines)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_xlsx(path: Path, *, chunk_rows: int) -> tuple[Layout, Iterator[RawChunk]]:
    """First worksheet of an .xlsx export; row numbers are the spreadsheet's own."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise UnknownLayoutError(f"the workbook's first sheet is empty; {EXPECTED_LAYOUTS_HELP}")
    layout = detect_layout([_cell_text(h) for h in header])

    def chunks() -> Iterator[RawChunk]:
        lines_per_chunk = max(1, chunk_rows // (layout.points or 1))
        index, first_line = 0, 2
        try:
            while batch := list(islice(rows, lines_per_chunk)):
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\n")
                for row in batch:
                    writer.writerow([_cell_text(v) for v in row][: len(layout.columns) + EXTRA_COLUMNS])
                lines = buffer.getvalue().splitlines(keepends=True)
                yield RawChunk(index=index, frame=_frame_from_lines(lines, layout=layout, first_line=first_line))
                index += 1
                first_line += len(batch)
        finally:
            workbook.close()

    return layout, chunks()


def read_json(payload: dict | list, *, chunk_rows: int) -> tuple[Layout, Iterator[RawChunk]]:
    """``{"readings": [{…}, …]}`` (or a bare list) of records with a layout's field names."""
    records = payload.get("readings") if isinstance(payload, dict) else payload
    if not isinstance(records, list) or not records:
        raise UnknownLayoutError('a JSON batch needs a non-empty list under "readings"')
    if not all(isinstance(r, dict) for r in records):
        raise UnknownLayoutError('every item of "readings" must be an object')
    first_keys = list(records[0].keys())
    layout = detect_layout(first_keys)

    def chunks() -> Iterator[RawChunk]:
        for index, start in enumerate(range(0, len(records), chunk_rows)):
            part = records[start : start + chunk_rows]
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            for record in part:
                normalized = {
                    _CANONICAL.get(str(k).strip().lower(), str(k).strip().lower()): v for k, v in record.items()
                }
                writer.writerow([_cell_text(normalized.get(c)) for c in layout.columns])
            frame = _frame_from_lines(buffer.getvalue().splitlines(keepends=True), layout=layout, first_line=start + 1)
            frame["raw"] = [json.dumps(r, ensure_ascii=False, default=str)[:1000] for r in part]
            yield RawChunk(index=index, frame=frame)

    return layout, chunks()
