"""Recognise a meter-data file's layout from its header, read it in chunks and split them into fields.

Layouts (DESIGN.md "Meter data formats"): long interval ``meter_no,timestamp,kwh[,quality]``; wide
daily ``meter_no,date,p1..pN`` with N = 96, 48 or 24; register reads
``meter_no,read_at,total,sharp,peak,flat,valley[,reactive]``; the same fields as JSON records; and .xlsx
exports of any of them. Chinese header names used by collection systems are accepted too.

Every chunk keeps each row's source line number and raw text so a rejected row can be reported
exactly. Chunks are cut at fixed line counts, so a retried batch sees the same chunks again.
Quoted fields spanning lines are not supported: meter exports never contain them.

Speed: a chunk stays bytes. Lines that are plain ASCII without quotes and with exactly the layout's
number of fields — nearly every line of a real export — are split with numpy on the bytes, and their
timestamps, dates and numbers in the usual spellings are parsed there too, without creating a Python
object per value. Every other line goes through a general reader (pandas' CSV reader in bulk for
non-ASCII lines and wrong field counts; the csv module line by line for quotes and stray CRs, which
could otherwise run one row over several lines), and every other cell (an unusual timestamp or number spelling, surrounding spaces) through
the general string parsers, so both paths accept and reject exactly the same things.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from core.time import MAX_UTC_OFFSET, MIN_UTC_OFFSET, SHANGHAI_NAME

INTERVAL = "interval"
REGISTER = "register"
WIDE_POINTS = (96, 48, 24)
EXTRA_COLUMNS = 8  # spare columns so a row with too many fields is caught as malformed, not a parser crash
NAT = np.iinfo(np.int64).min  # "no timestamp" in int64 nanosecond arrays, as pandas' NaT
NS = 1_000_000_000
_MIN_OFFSET_SECONDS = int(MIN_UTC_OFFSET.total_seconds())
_MAX_OFFSET_SECONDS = int(MAX_UTC_OFFSET.total_seconds())
SHANGHAI_OFFSET_NS = 8 * 3600 * NS  # no daylight saving since 1991
FAST_MIN_YEAR = 1992  # earlier local times may fall in Shanghai's DST years: leave them to pandas
_NEWLINE, _CR, _QUOTE, _COMMA, _DOT, _MINUS = 10, 13, 34, 44, 46, 45
BYTE_SPLITTING = True  # False sends every line through pandas and the string parsers (tests compare both)
_READ_BLOCK = 1 << 22
_PAD = 64  # zero bytes after a chunk's data: longer than any cell the byte parsers look at

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
    "reactive": {"reactive", "reactive_kvarh", "kvarh", "无功", "无功总", "正向无功总", "无功示数"},
}
_CANONICAL = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
_POINT = re.compile(r"^(?:p|h|点)?(\d{1,2})$")


class UnreadableFileError(ValueError):
    """The file cannot be read as meter data at all; the message says why, for the uploader."""


class UnknownLayoutError(UnreadableFileError):
    """The header matches none of the accepted layouts; the message says what was expected."""


MAX_HEADER_BYTES = 16_384  # the widest layout's header is under 1 KB; a longer first line is not a header


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
    "'meter_no,read_at,total,sharp,peak,flat,valley[,reactive]'"
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
    if canonical in (
        ["meter_no", "read_at", "total", "sharp", "peak", "flat", "valley"],
        ["meter_no", "read_at", "total", "sharp", "peak", "flat", "valley", "reactive"],
    ):
        return Layout(kind=REGISTER, name="register", columns=tuple(canonical))
    raise UnknownLayoutError(
        f"unrecognised header {','.join(names[:8])}{'…' if len(names) > 8 else ''}; {EXPECTED_LAYOUTS_HELP}"
    )


@dataclass
class RawChunk:
    """``data`` holds a chunk's source lines as bytes (each ending in "\n" except perhaps the file's
    last), the first of them numbered ``first_line``. ``raw_records`` replaces a line's text in
    reports where the line was built from something else (JSON records)."""

    index: int
    first_line: int
    data: bytes
    encoding: str
    raw_records: list[str] | None = None


_WIDE_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) or GB18030 as Chinese collection systems export: whichever reads
    more lines of the first 64 KiB (UTF-8 on a tie). One bad line does not decide the whole file's
    encoding; it is rejected on its own (split_fields). UTF-16/32 is refused, not guessed."""
    with path.open("rb") as handle:
        sample = handle.read(1 << 16)
    for bom, name in _WIDE_BOMS.items():
        if sample.startswith(bom):
            raise UnreadableFileError(f"the file is {name} text; save it as UTF-8 or GB18030 CSV")
    lines = sample.split(b"\n")
    if len(lines) > 1:
        lines.pop()  # perhaps cut by the sample's end

    def unreadable(encoding: str) -> int:
        return sum(1 for line in lines if _line_problem(line, encoding))

    return "gb18030" if unreadable("gb18030") < unreadable("utf-8") else "utf-8-sig"


def storable_text(text: str) -> str:
    """Text PostgreSQL can store: NUL and lone surrogates (JSON can carry both) become U+FFFD."""
    if text.isascii() and "\x00" not in text:
        return text
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").replace("\x00", "\ufffd")


def _line_problem(data: bytes, encoding: str) -> str:
    """Why a source line cannot be read as text ("" when it can): NUL bytes, or bytes that are not
    valid in the file's encoding. Such a line is rejected as malformed, never guessed at."""
    if b"\x00" in data:
        return "line contains a NUL byte"
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        return f"line is not valid {encoding.upper()} text (byte 0x{data[exc.start]:02x} at column {exc.start + 1})"
    return ""


def _split_line(text: str, ncols: int) -> tuple[list[str], str]:
    """One line on its own through the csv module: its fields and why it is malformed ("" if not)."""
    try:
        rows = list(csv.reader([text.rstrip("\r\n")]))
    except csv.Error as exc:  # a field over the csv module's limit, a stray CR in an unquoted field
        return [""] * ncols, f"unreadable CSV line: {exc}"
    fields = rows[0] if rows else []
    return fields, f"more than {ncols} fields" if len(fields) > ncols else ""


def _pandas_fields(lines: list[str], *, ncols: int) -> tuple[pd.DataFrame, np.ndarray] | None:
    """Lines without quotes or CRs through pandas' C reader: their fields and per line "" or why
    its shape is wrong. None when pandas refuses them (a row with very many fields)."""
    names = [f"__c{i}" for i in range(ncols + EXTRA_COLUMNS)]
    try:
        frame = pd.read_csv(
            io.StringIO("".join(lines)),
            header=None,
            names=names,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
            quoting=csv.QUOTE_NONE,
        )
    except pd.errors.ParserError:
        return None
    if len(frame) != len(lines):  # cannot happen without quotes or CRs; never trust a misaligned frame
        return None
    too_many = (frame[names[ncols:]] != "").any(axis=1).to_numpy() if len(frame) else np.zeros(0, dtype=bool)
    return frame[names[:ncols]], np.where(too_many, f"more than {ncols} fields", "").astype(object)


def _frame_from_lines(
    lines: list[str], *, layout: Layout, line_numbers: np.ndarray, problems: list[str] | None = None
) -> pd.DataFrame:
    """The general reader for lines the byte splitter leaves alone. ``problems`` says, per line, why
    its text is unreadable ("" when it is fine).

    A quote or a stray CR lets a CSV reader run one row over several lines or split one line into
    several rows, so lines with either are read one by one with the csv module: a bad line can only
    ever reject itself. The others (non-ASCII, wrong field count) go through pandas in bulk."""
    ncols = len(layout.columns)
    columns = list(layout.columns)
    single = np.array(['"' in line or "\r" in line.rstrip("\r\n") or "\x00" in line for line in lines], dtype=bool)
    rows: list[list[str]] = [[]] * len(lines)
    shape = np.full(len(lines), "", dtype=object)
    bulk = np.flatnonzero(~single)
    parsed = _pandas_fields([lines[i] for i in bulk], ncols=ncols) if len(bulk) else None
    if parsed is None:
        single[:] = True
    else:
        for i, values in zip(bulk.tolist(), parsed[0].to_numpy().tolist(), strict=True):
            rows[i] = values
        shape[bulk] = parsed[1]
    for i in np.flatnonzero(single).tolist():
        values, why = _split_line(lines[i].replace("\x00", "\ufffd"), ncols)
        rows[i], shape[i] = (values + [""] * ncols)[:ncols], why
    frame = pd.DataFrame(rows, columns=columns, dtype=str) if rows else pd.DataFrame(columns=columns, dtype=str)
    frame.insert(0, "line", line_numbers)
    frame["raw"] = [storable_text(line.rstrip("\r\n")) for line in lines]
    blank = frame["raw"].str.strip() == ""
    missing = (frame[_required_columns(layout)] == "").any(axis=1).to_numpy()
    malformed = np.where(missing, "missing fields", "").astype(object)
    malformed = np.where(shape != "", shape, malformed)
    if problems is not None:
        unreadable = np.array(problems, dtype=object)
        malformed = np.where(unreadable != "", unreadable, malformed)
        blank &= unreadable == ""
    frame["malformed"] = malformed
    return frame[~blank.to_numpy()].reset_index(drop=True)


def _required_columns(layout: Layout) -> list[str]:
    # TOU registers may be blank (meters without them) and wide points may be blank (gaps).
    return [
        "meter_no",
        layout.columns[1],
        *(["total"] if layout.kind == REGISTER else [] if layout.points else ["kwh"]),
    ]


def _first_line(handle) -> bytes:
    line = handle.readline(MAX_HEADER_BYTES + 1)
    if len(line) > MAX_HEADER_BYTES:
        raise UnknownLayoutError(
            f"the first line is longer than {MAX_HEADER_BYTES:,} bytes, so it is no header; {EXPECTED_LAYOUTS_HELP}"
        )
    return line


def read_header(path: Path) -> tuple[Layout, str]:
    """The layout of a CSV file and the encoding it was read with."""
    encoding = _detect_encoding(path)
    with path.open("rb") as handle:
        first = _first_line(handle)
    if b"\x00" in first:
        raise UnknownLayoutError("the header contains NUL bytes: a binary file, or UTF-16 text without a BOM?")
    text = first.decode(encoding, errors="replace")
    if not text.strip():
        raise UnknownLayoutError(f"the file is empty; {EXPECTED_LAYOUTS_HELP}")
    try:
        header = next(csv.reader([text.rstrip("\r\n")]), [])
    except csv.Error as exc:
        raise UnknownLayoutError(f"the header cannot be read as CSV ({exc}); {EXPECTED_LAYOUTS_HELP}") from exc
    return detect_layout(header), encoding


def iter_csv_chunks(path: Path, *, layout: Layout, encoding: str, chunk_rows: int) -> Iterator[RawChunk]:
    """Chunks of a fixed number of lines ("\n"-terminated, the last one perhaps not), read in large
    blocks and cut at the right line break without a Python object per line."""
    lines_per_chunk = max(1, chunk_rows // (layout.points or 1))
    with path.open("rb") as handle:
        _first_line(handle)  # the header, read by read_header
        index, first_line = 0, 2
        pending, breaks, eof = bytearray(), 0, False
        while True:
            while breaks < lines_per_chunk and not eof:
                block = handle.read(_READ_BLOCK)
                eof = not block
                pending += block
                breaks += block.count(b"\n")
            if not pending:
                return
            if breaks >= lines_per_chunk:
                cut = int(np.flatnonzero(np.frombuffer(pending, dtype=np.uint8) == _NEWLINE)[lines_per_chunk - 1]) + 1
                lines = lines_per_chunk
            else:
                cut, lines = len(pending), breaks + (not pending.endswith(b"\n"))
            data = bytes(pending[:cut])
            del pending[:cut]
            breaks -= min(breaks, lines)
            yield RawChunk(index=index, first_line=first_line, data=data, encoding=encoding)
            index += 1
            first_line += lines


def cell_text(value) -> str:
    """A workbook cell or JSON value as the text of one CSV field. Line breaks become spaces: a cell
    is never more than one line, or every later row's line number (and count) would shift."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).replace("\r", " ").replace("\n", " ").strip()


_FIELD_ORDER = (
    "meter_no",
    "timestamp",
    "date",
    "read_at",
    "kwh",
    "quality",
    "total",
    "sharp",
    "peak",
    "flat",
    "valley",
    "reactive",
)


def _json_layout(keys: list[str]) -> Layout:
    """A JSON record's fields name their values: their order carries no meaning, so the layout is
    detected on the canonical order when the order given is not one of the layouts'."""
    try:
        return detect_layout(keys)
    except UnknownLayoutError:
        canonical = {_CANONICAL.get(str(k).strip().lower(), str(k).strip().lower()): k for k in keys}
        if set(canonical) <= set(_FIELD_ORDER):
            return detect_layout([canonical[name] for name in _FIELD_ORDER if name in canonical])
        raise


def read_json(payload: dict | list, *, chunk_rows: int) -> tuple[Layout, Iterator[RawChunk]]:
    """``{"readings": [{…}, …]}`` (or a bare list) of records with a layout's field names."""
    records = payload.get("readings") if isinstance(payload, dict) else payload
    if not isinstance(records, list) or not records:
        raise UnknownLayoutError('a JSON batch needs a non-empty list under "readings"')
    if not all(isinstance(r, dict) for r in records):
        raise UnknownLayoutError('every item of "readings" must be an object')
    layout = _json_layout(list(records[0].keys()))

    def chunks() -> Iterator[RawChunk]:
        for index, start in enumerate(range(0, len(records), chunk_rows)):
            part = records[start : start + chunk_rows]
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            for record in part:
                normalized = {
                    _CANONICAL.get(str(k).strip().lower(), str(k).strip().lower()): v for k, v in record.items()
                }
                writer.writerow([cell_text(normalized.get(c)) for c in layout.columns])
            yield RawChunk(
                index=index,
                first_line=start + 1,
                data=buffer.getvalue().encode("utf-8", "surrogatepass"),
                encoding="utf-8",
                raw_records=[json.dumps(r, ensure_ascii=False, default=str)[:1000] for r in part],
            )

    return layout, chunks()


# --- splitting a chunk into fields ------------------------------------------------------------------


@dataclass
class ChunkFields:
    """A chunk's non-blank lines ("rows", in file order) split into the layout's fields.

    On simple rows a field is the byte range ``starts[row, column]:ends[row, column]`` of ``buf``;
    the other rows' fields are strings in ``text`` (indexed by row position). ``malformed`` holds
    why a row's shape is wrong ("" when it is fine)."""

    layout: Layout
    encoding: str
    buf: np.ndarray
    line: np.ndarray
    bounds: np.ndarray  # (rows, 2): each row's line in buf, without its line break
    simple: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    text: pd.DataFrame
    malformed: np.ndarray
    first_line: int
    raw_records: list[str] | None = None

    def __len__(self) -> int:
        return len(self.line)

    def _decode(self, start: int, end: int) -> str:
        return self.buf[start:end].tobytes().decode(self.encoding, errors="replace")

    def raw(self, rows: np.ndarray) -> list[str]:
        """The source text of the given rows, for rejection reports."""
        if self.raw_records is not None:
            return [self.raw_records[int(self.line[r]) - self.first_line] for r in rows]
        return [self._decode(*self.bounds[r]) if self.simple[r] else str(self.text.at[int(r), "raw"]) for r in rows]

    def cells(self, rows: np.ndarray, columns: np.ndarray) -> list[str]:
        """The text of the cells (row, column), unstripped."""
        names = self.layout.columns
        return [
            self._decode(self.starts[r, c], self.ends[r, c]) if self.simple[r] else str(self.text.at[int(r), names[c]])
            for r, c in zip(rows.tolist(), columns.tolist(), strict=True)
        ]


def split_fields(chunk: RawChunk, layout: Layout) -> ChunkFields:
    ncols = len(layout.columns)
    encoding = "utf-8" if chunk.encoding == "utf-8-sig" else chunk.encoding  # the BOM is before the header
    size = len(chunk.data)
    buf = np.frombuffer(chunk.data + bytes(_PAD), dtype=np.uint8)
    data = buf[:size]
    breaks = np.flatnonzero(data == _NEWLINE)
    if size and (len(breaks) == 0 or breaks[-1] != size - 1):
        breaks = np.append(breaks, size)  # the file's last line without a line break
    begins = np.concatenate(([0], breaks[:-1] + 1)).astype(np.int64)
    ends = breaks.astype(np.int64)
    ends -= (ends > begins) & (buf[np.maximum(ends - 1, 0)] == _CR)
    commas = np.flatnonzero(data == _COMMA)
    first_comma = np.searchsorted(commas, begins)
    comma_count = np.searchsorted(commas, ends) - first_comma
    # NUL too: the byte parsers pad cells with zero bytes, so a NUL must never reach them.
    special = np.flatnonzero((data == _QUOTE) | (data >= 0x80) | (data == _CR) | (data == 0))
    special_count = np.searchsorted(special, ends) - np.searchsorted(special, begins)
    empty = ends == begins
    simple = (special_count == 0) & (comma_count == ncols - 1) & BYTE_SPLITTING
    simple_lines = np.flatnonzero(simple & ~empty)
    other_lines = np.flatnonzero(~simple & ~empty)
    numbers = chunk.first_line + np.arange(len(begins), dtype=np.int64)

    if len(other_lines):
        sources = [chunk.data[begins[i] : breaks[i] + 1] for i in other_lines]
        slow = _frame_from_lines(
            [line.decode(encoding, errors="replace") for line in sources],
            layout=layout,
            line_numbers=numbers[other_lines],
            problems=[_line_problem(line, encoding) for line in sources],
        )
    else:
        slow = pd.DataFrame({name: pd.Series(dtype=object) for name in ("line", *layout.columns, "raw", "malformed")})
    # Rows = simple lines and the non-blank other lines, in line order.
    line = np.concatenate((numbers[simple_lines], slow["line"].to_numpy(dtype=np.int64)))
    order = np.argsort(line, kind="stable")
    line = line[order]
    n_simple = len(simple_lines)
    is_simple = order < n_simple
    position = np.empty(len(order), dtype=np.int64)  # row position of each source (simple first, then slow)
    position[order] = np.arange(len(order))

    starts = np.zeros((len(line), ncols), dtype=np.int64)
    field_ends = np.zeros((len(line), ncols), dtype=np.int64)
    bounds = np.zeros((len(line), 2), dtype=np.int64)
    if n_simple:
        rows = position[:n_simple]
        comma_at = commas[first_comma[simple_lines][:, None] + np.arange(ncols - 1)] if ncols > 1 else None
        starts[rows, 0] = begins[simple_lines]
        field_ends[rows, ncols - 1] = ends[simple_lines]
        if comma_at is not None:
            starts[rows, 1:] = comma_at + 1
            field_ends[rows, : ncols - 1] = comma_at
        bounds[rows, 0], bounds[rows, 1] = begins[simple_lines], ends[simple_lines]
    malformed = np.full(len(line), "", dtype=object)
    required = [layout.columns.index(name) for name in _required_columns(layout)]
    missing = (starts[:, required] == field_ends[:, required]).any(axis=1) & is_simple
    malformed[missing] = "missing fields"
    slow.index = position[n_simple:]
    malformed[slow.index.to_numpy()] = slow["malformed"].to_numpy()
    return ChunkFields(
        layout=layout,
        encoding=encoding,
        buf=buf,
        line=line,
        bounds=bounds,
        simple=is_simple,
        starts=starts,
        ends=field_ends,
        text=slow,
        malformed=malformed,
        first_line=chunk.first_line,
        raw_records=chunk.raw_records,
    )


# --- typed cells --------------------------------------------------------------------------------------


def _gather(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray, width: int) -> np.ndarray:
    """(cells × width) bytes of each cell, zero-padded after its end. ``buf`` ends in _PAD zero
    bytes, so a window of ``width`` bytes exists at every cell start; taking whole windows copies
    bytes only, without an index per byte."""
    cells = sliding_window_view(buf, width)[starts]
    cells[np.arange(width) >= lengths[:, None]] = 0
    return cells


def _cell_ranges(fields: ChunkFields, rows: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return fields.starts[rows, columns], fields.ends[rows, columns] - fields.starts[rows, columns]


def meter_numbers(fields: ChunkFields) -> tuple[np.ndarray, list[str]]:
    """Each row's meter number as a code into the returned list of distinct (stripped) numbers."""
    rows = np.arange(len(fields))
    codes = np.full(len(rows), -1, dtype=np.int64)
    starts, lengths = _cell_ranges(fields, rows, np.zeros(len(rows), dtype=np.int64))
    fast = fields.simple & (lengths > 0) & (lengths <= 32)
    uniques: list[str] = []
    if fast.any():
        width = int(lengths[fast].max())
        cells = _gather(fields.buf, starts[fast], lengths[fast], width)
        blank = ((cells == 32) | (cells == 9)).any(axis=1)  # surrounding spaces: let strip() decide
        cells, fast_rows = cells[~blank], np.flatnonzero(fast)[~blank]
        fast[np.flatnonzero(fast)[blank]] = False
        if len(fast_rows):
            # Exports list a meter's readings together: compare runs, not every row.
            change = np.ones(len(cells), dtype=bool)
            change[1:] = (cells[1:] != cells[:-1]).any(axis=1)
            keys = np.ascontiguousarray(cells[change]).view(f"S{width}").ravel()
            distinct, inverse = np.unique(keys, return_inverse=True)
            uniques = [b.decode("ascii") for b in distinct.tolist()]
            codes[fast_rows] = inverse.ravel()[np.cumsum(change) - 1]
    rest = np.flatnonzero(~fast)
    if len(rest):
        known = {number: i for i, number in enumerate(uniques)}
        for row, text in zip(rest.tolist(), fields.cells(rest, np.zeros(len(rest), dtype=np.int64)), strict=True):
            number = text.strip()
            if number not in known:
                known[number] = len(uniques)
                uniques.append(number)
            codes[row] = known[number]
    return codes, uniques


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm), vectorised."""
    year = year - (month <= 2)
    era = np.floor_divide(year, 400)
    year_of_era = year - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 0, 12)]
    return days + ((month == 2) & leap)


def _digits(cells: np.ndarray, positions: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The number written by the digits at ``positions`` and whether they all are digits."""
    part = cells[:, positions].astype(np.int64) - 48
    ok = ((part >= 0) & (part <= 9)).all(axis=1)
    value = np.zeros(len(cells), dtype=np.int64)
    for k in range(len(positions)):
        value = value * 10 + part[:, k]
    return value, ok  # type: ignore[return-value]  # numpy's stubs: all(axis=1) of a 2-D array is an array


def _fast_timestamps(cells: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``YYYY-MM-DD[T ]HH:MM:SS`` followed by nothing (Asia/Shanghai), ``Z`` or ``±HH:MM``."""
    year, ok_y = _digits(cells, [0, 1, 2, 3])
    month, ok_m = _digits(cells, [5, 6])
    day, ok_d = _digits(cells, [8, 9])
    hour, ok_h = _digits(cells, [11, 12])
    minute, ok_i = _digits(cells, [14, 15])
    second, ok_s = _digits(cells, [17, 18])
    ok = ok_y & ok_m & ok_d & ok_h & ok_i & ok_s
    ok &= (cells[:, 4] == _MINUS) & (cells[:, 7] == _MINUS) & (cells[:, 13] == 58) & (cells[:, 16] == 58)
    ok &= (cells[:, 10] == ord("T")) | (cells[:, 10] == 32)
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= _days_in_month(year, month))
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    offset = np.full(len(cells), SHANGHAI_OFFSET_NS // NS, dtype=np.int64)
    naive = lengths == 19
    ok &= ~naive | (year >= FAST_MIN_YEAR)
    zulu = lengths == 20
    ok &= ~zulu | (cells[:, 19] == ord("Z"))
    offset[zulu] = 0
    explicit = lengths == 25
    if explicit.any():
        off_hour, ok_oh = _digits(cells, [20, 21])
        off_minute, ok_om = _digits(cells, [23, 24])
        sign = np.where(cells[:, 19] == _MINUS, -1, 1)
        ok &= ~explicit | (
            ok_oh
            & ok_om
            & ((cells[:, 19] == ord("+")) | (cells[:, 19] == _MINUS))
            & (cells[:, 22] == 58)
            & (off_hour <= 23)
            & (off_minute <= 59)
        )
        offset = np.where(explicit, sign * (off_hour * 3600 + off_minute * 60), offset)
        ok &= ~explicit | ((offset >= _MIN_OFFSET_SECONDS) & (offset <= _MAX_OFFSET_SECONDS))
    ok &= naive | zulu | explicit
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
    return np.where(ok, seconds * NS, NAT), ok


# Outside these years a timestamp is a typing error, not meter data; it is unreadable rather than an
# overflow of pandas' nanosecond range (1677–2262) when it is moved to UTC.
_EARLIEST, _LATEST = pd.Timestamp("1900-01-01"), pd.Timestamp("2200-01-01")


def _plausible(parsed: pd.Series) -> pd.Series:
    """Parsed (naive or UTC) timestamps with those outside 1900–2199 as NaT, in nanoseconds."""
    naive = parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed
    inside = (naive >= _EARLIEST) & (naive < _LATEST)
    return parsed.where(inside).astype("datetime64[ns, UTC]" if parsed.dt.tz is not None else "datetime64[ns]")


def parse_timestamps(values: pd.Series) -> pd.Series:
    """ISO 8601 with offset; a timestamp without offset is read as Asia/Shanghai local time."""
    text = values.str.strip()
    has_offset = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True)
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if has_offset.any():
        result[has_offset] = _plausible(pd.to_datetime(text[has_offset], format="ISO8601", utc=True, errors="coerce"))
        # An offset no time zone has (core.time: −12:00 … +14:00) is a bad timestamp, not a moment.
        parts = text[has_offset].str.extract(r"([+-])(\d{2}):?(\d{2})$")
        known = parts[0].notna()
        seconds = (parts[1][known].astype(int) * 3600 + parts[2][known].astype(int) * 60).where(
            parts[0][known] == "+", -(parts[1][known].astype(int) * 3600 + parts[2][known].astype(int) * 60)
        )
        unreal = seconds[(seconds < _MIN_OFFSET_SECONDS) | (seconds > _MAX_OFFSET_SECONDS)].index
        result[unreal] = pd.NaT
    naive = ~has_offset & (text != "")
    if naive.any():
        local = _plausible(pd.to_datetime(text[naive], format="ISO8601", errors="coerce"))
        result[naive] = local.dt.tz_localize(SHANGHAI_NAME).dt.tz_convert("UTC")
    return result


def _ns(series: pd.Series) -> np.ndarray:
    """int64 nanoseconds since the epoch, NAT for NaT."""
    return series.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT")).view(np.int64)


def timestamps(fields: ChunkFields, column: int) -> np.ndarray:
    """Each row's timestamp in ``column`` as int64 ns since the epoch (UTC), NAT when unreadable."""
    rows = np.arange(len(fields))
    result = np.full(len(rows), NAT, dtype=np.int64)
    starts, lengths = _cell_ranges(fields, rows, np.full(len(rows), column))
    fast = fields.simple & np.isin(lengths, (19, 20, 25))
    if fast.any():
        cells = _gather(fields.buf, starts[fast], lengths[fast], 25)
        values, ok = _fast_timestamps(cells, lengths[fast])
        result[np.flatnonzero(fast)[ok]] = values[ok]
        fast[np.flatnonzero(fast)[~ok]] = False
    rest = np.flatnonzero(~fast)
    if len(rest):
        text = pd.Series(fields.cells(rest, np.full(len(rest), column)), dtype=object)
        result[rest] = _ns(parse_timestamps(text.astype(str)))
    return result


def _parse_dates(values: pd.Series) -> pd.Series:
    text = values.str.strip().str.replace("/", "-", regex=False)
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    compact = parsed.isna() & text.str.fullmatch(r"\d{8}")
    if compact.any():
        parsed[compact] = pd.to_datetime(text[compact], format="%Y%m%d", errors="coerce")
    return parsed


def dates(fields: ChunkFields, column: int) -> np.ndarray:
    """Each row's local (Asia/Shanghai) date in ``column`` as the int64 ns of its midnight, NAT if unreadable."""
    rows = np.arange(len(fields))
    result = np.full(len(rows), NAT, dtype=np.int64)
    starts, lengths = _cell_ranges(fields, rows, np.full(len(rows), column))
    fast = fields.simple & (lengths == 10)
    if fast.any():
        cells = _gather(fields.buf, starts[fast], lengths[fast], 10)
        year, ok_y = _digits(cells, [0, 1, 2, 3])
        month, ok_m = _digits(cells, [5, 6])
        day, ok_d = _digits(cells, [8, 9])
        dash = (cells[:, 4] == _MINUS) & (cells[:, 7] == _MINUS)
        slash = (cells[:, 4] == ord("/")) & (cells[:, 7] == ord("/"))
        ok = ok_y & ok_m & ok_d & (dash | slash) & (year >= FAST_MIN_YEAR) & (month >= 1) & (month <= 12)
        ok &= (day >= 1) & (day <= _days_in_month(year, month))
        midnight = _days_from_civil(year, month, day) * 86400 * NS - SHANGHAI_OFFSET_NS
        result[np.flatnonzero(fast)[ok]] = midnight[ok]
        fast[np.flatnonzero(fast)[~ok]] = False
    rest = np.flatnonzero(~fast)
    if len(rest):
        text = pd.Series(fields.cells(rest, np.full(len(rest), column)), dtype=object).astype(str)
        result[rest] = _ns(_plausible(_parse_dates(text)).dt.tz_localize(SHANGHAI_NAME).dt.tz_convert("UTC"))
    return result


def _fast_numbers(cells: np.ndarray, lengths: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plain decimals (``-12.345``): value, value × 10^scale rounded half away from zero (as
    PostgreSQL's numeric), and whether the cell was such a decimal."""
    width = cells.shape[1]
    negative = cells[:, 0] == _MINUS
    position = np.arange(width)
    inside = (position >= negative[:, None]) & (position < lengths[:, None])
    digit = (cells >= 48) & (cells <= 57) & inside
    dot = (cells == _DOT) & inside
    ok = ~(inside & ~digit & ~dot).any(axis=1) & (dot.sum(axis=1) <= 1)
    count = digit.sum(axis=1)
    dot_at = np.where(dot.any(axis=1), dot.argmax(axis=1), lengths)
    fraction_digits = (digit & (position > dot_at[:, None])).sum(axis=1)
    ok &= (count >= 1) & (count <= 15) & (count - fraction_digits <= 12)
    mantissa = np.zeros(len(cells), dtype=np.int64)
    for k in range(width):
        mantissa = np.where(digit[:, k], mantissa * 10 + (cells[:, k].astype(np.int64) - 48), mantissa)
    mantissa = np.where(ok, mantissa, 0)
    value = mantissa / np.power(10.0, fraction_digits)
    extra = fraction_digits - scale
    units = np.where(extra <= 0, mantissa * np.power(10, np.clip(-extra, 0, None), dtype=np.int64), 0)
    truncated = mantissa // np.power(10, np.clip(extra - 1, 0, None), dtype=np.int64)  # keeps one digit more
    units = np.where(extra > 0, truncated // 10 + (truncated % 10 >= 5), units)
    sign = np.where(negative, -1, 1)
    return value * sign, units * sign, ok


def _decimal_units(text: str, scale: int) -> int | None:
    try:
        value = Decimal(text).scaleb(scale).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None
    return int(value) if value.is_finite() and abs(value) < 2**62 else None


def numbers(
    fields: ChunkFields, rows: np.ndarray, columns: np.ndarray, *, scale: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells (rows[i], columns[i]) as numbers: the float value (NaN when blank or unreadable), the
    value in units of 10^-scale rounded half away from zero (what a numeric(…, scale) column stores)
    and whether the cell was blank (only whitespace)."""
    value = np.full(len(rows), np.nan)
    units = np.zeros(len(rows), dtype=np.int64)
    starts, lengths = _cell_ranges(fields, rows, columns)
    blank = fields.simple[rows] & (lengths == 0)
    fast = fields.simple[rows] & (lengths > 0) & (lengths <= 18)
    if fast.any():
        cells = _gather(fields.buf, starts[fast], lengths[fast], int(lengths[fast].max()))
        parsed, scaled, ok = _fast_numbers(cells, lengths[fast], scale)
        where = np.flatnonzero(fast)
        value[where[ok]], units[where[ok]] = parsed[ok], scaled[ok]
        fast[where[~ok]] = False
    rest = np.flatnonzero(~fast & ~blank)
    if len(rest):
        text = pd.Series(fields.cells(rows[rest], columns[rest]), dtype=object).astype(str).str.strip()
        parsed = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        blank[rest] = (text == "").to_numpy()
        for i, (number, cell) in enumerate(zip(parsed.tolist(), text.tolist(), strict=True)):
            if np.isfinite(number) and (exact := _decimal_units(cell, scale)) is not None:
                value[rest[i]], units[rest[i]] = number, exact
            elif not np.isfinite(number) and not np.isnan(number):
                value[rest[i]] = number  # ±inf: reported as not a number, like NaN
    return value, units, blank


def cell_codes(fields: ChunkFields, column: int, codes: dict[str, int]) -> np.ndarray:
    """Each row's cell in ``column`` looked up (stripped, upper-cased) in ``codes``; -1 if absent."""
    rows = np.arange(len(fields))
    result = np.full(len(rows), -1, dtype=np.int64)
    starts, lengths = _cell_ranges(fields, rows, np.full(len(rows), column))
    fast = fields.simple & (lengths <= 1)
    if fast.any():
        first = np.where(lengths[fast] == 1, fields.buf[starts[fast]], 0)
        table = np.full(256, -2, dtype=np.int64)
        table[0] = codes.get("", -1)
        for key, code in codes.items():
            if len(key) == 1 and key.isascii():
                table[ord(key)] = code
                table[ord(key.lower())] = code
        looked_up = table[first]
        where = np.flatnonzero(fast)
        result[where] = looked_up
        fast[where[looked_up == -2]] = False
        result[where[looked_up == -2]] = -1
    rest = np.flatnonzero(~fast)
    if len(rest):
        texts = fields.cells(rest, np.full(len(rest), column))
        result[rest] = [codes.get(t.strip().upper(), -1) for t in texts]
    return result
