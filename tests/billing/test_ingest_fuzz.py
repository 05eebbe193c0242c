"""Hostile and random bytes through every ingest format, down the path a worker takes: no batch ends
unexplained. Each upload is either refused with a readable message (what the API answers 400 with),
or its batch ends COMPLETED with every reading stored or rejected with its line and reason, or FAILED
with a readable error — never PENDING/PROCESSING, and never an "unexpected error" (that is our bug).

Bounded for CI: a few dozen examples per format, no shrinking database, the same examples every run.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from decimal import Decimal
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from billing.models import IngestBatch, IntervalReading, RejectedRow
from billing.services.ingest import BatchInputError, create_batch, create_batch_from_json
from billing.tasks import ingest_batch_task
from tests.factories import SHANGHAI, make_account, make_meter

pytestmark = pytest.mark.django_db
AS_OF = dt.datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # CI runs the same examples; a failure is reproducible from the log
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
_names = count()

HEADERS = {
    "long": "meter_no,timestamp,kwh",
    "long_quality": "meter_no,timestamp,kwh,quality",
    "wide_24": "meter_no,date," + ",".join(f"p{i}" for i in range(1, 25)),
    "register": "meter_no,read_at,total,sharp,peak,flat,valley,reactive",
    "chinese": "表号,时间,电量",
}
GOOD_CELLS = [
    "M001",
    "2026-11-01T00:15:00+08:00",
    "2026-11-01 08:00:00",
    "2026-11-02",
    "0.25",
    "A",
    "E",
    "1012.50",
    "",
]
HOSTILE = [
    b"\x00",
    b"\xed\xa0\x80",  # a lone surrogate, UTF-8 encoded
    "电量".encode("gbk"),
    "表号".encode("utf-16"),
    b'"',
    b'"a""b',
    b"\r",
    b"\xff\xfe",
    b"PK\x03\x04",
    b",,,,,,,,,,,,,,,,",
    b"9" * 5000,
    b"1e400",
    b"NaN",
    b"-inf",
    b"\t ",
    "\u202e\u3000".encode(),
    b"2026-02-30T00:00:00+08:00",
    b"2026-11-01T00:00:00-19:32",
    b"99999-12-31",
    b"0001-01-01T00:00:00",
]
cell = st.one_of(
    st.sampled_from(GOOD_CELLS).map(str.encode),
    st.sampled_from(HOSTILE),
    st.binary(max_size=24).map(lambda b: b.replace(b"\n", b" ")),
)
# Every line starts with something that is not blank, so each one is a row the batch must account for.
line = st.builds(
    lambda first, rest: b",".join([first, *rest]),
    st.sampled_from([b"M001", b"M404", b"X", b'"M001"', "表1".encode()]),
    st.lists(cell, max_size=8),
)


@pytest.fixture
def meter():
    return make_meter(meter_no="M001", account=make_account(contracted_kva=Decimal("8")))


def _upload(tmp_path, content: bytes, suffix: str) -> IngestBatch | BatchInputError:
    path = tmp_path / f"fuzz-{next(_names)}{suffix}"
    path.write_bytes(content)
    try:
        batch = create_batch(source=IngestBatch.Source.API, path=path, filename=path.name, as_of=AS_OF)
    except BatchInputError as exc:
        return exc
    return _run(batch)


def _run(batch: IngestBatch) -> IngestBatch:
    ingest_batch_task(batch_id=batch.pk)  # the task's own function, in this process
    return IngestBatch.objects.get(pk=batch.pk)


def assert_explained(outcome: IngestBatch | BatchInputError, *, data_lines: int | None = None) -> None:
    if isinstance(outcome, BatchInputError):
        message = str(outcome)
        assert message.strip() and "\x00" not in message, f"refused without a readable reason: {message!r}"
        return
    batch = outcome
    assert batch.status in (IngestBatch.Status.COMPLETED, IngestBatch.Status.FAILED), batch.status
    if batch.status == IngestBatch.Status.FAILED:
        assert batch.error.strip(), "failed without a reason"
        assert not batch.error.startswith("unexpected error"), batch.error
        return
    assert batch.error == ""
    assert batch.received == batch.inserted + batch.updated + batch.unchanged + batch.duplicates + batch.rejected
    rows = list(batch.rejected_rows.all())
    assert bool(rows) == bool(batch.rejected) and len(rows) <= batch.rejected
    reasons = set(RejectedRow.Reason.values)
    for row in rows:
        assert row.line_number >= 1 and row.message.strip() and row.reason_code in reasons, row
    if data_lines is not None:
        # One reading per line: every line was received, and ended stored or rejected.
        assert batch.received == data_lines
        assert {r.line_number for r in rows} <= set(range(2, data_lines + 2))


@FUZZ
@given(
    header=st.sampled_from(sorted(HEADERS)),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk"]),
    lines=st.lists(line, min_size=1, max_size=12),
    trailing_newline=st.booleans(),
)
def test_csv_lines_of_hostile_bytes_are_each_stored_or_rejected(
    meter, tmp_path, header, encoding, lines, trailing_newline
):
    content = (HEADERS[header] + "\n").encode(encoding) + b"\n".join(lines) + (b"\n" if trailing_newline else b"")
    outcome = _upload(tmp_path, content, ".csv")
    assert_explained(outcome, data_lines=len(lines) if header.startswith("long") or header == "chinese" else None)
    if header.startswith("long") and isinstance(outcome, IngestBatch):
        assert outcome.status == IngestBatch.Status.COMPLETED, outcome.error


json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),  # includes NUL and lone surrogates
    st.sampled_from(GOOD_CELLS),
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
json_record = st.fixed_dictionaries(
    {"meter_no": st.one_of(st.just("M001"), st.text(max_size=40)), "timestamp": json_value, "kwh": json_value},
    optional={"quality": json_value, "extra": json_value},
)


@FUZZ
@given(records=st.lists(json_record, min_size=1, max_size=8))
def test_json_records_of_hostile_values_are_each_stored_or_rejected(meter, records):
    try:
        batch = create_batch_from_json(source=IngestBatch.Source.API, payload={"readings": records}, as_of=AS_OF)
    except BatchInputError as exc:
        assert_explained(exc)
        return
    outcome = _run(batch)
    assert_explained(outcome, data_lines=None)
    assert outcome.status == IngestBatch.Status.COMPLETED, outcome.error
    assert outcome.received == len(records)  # one reading per record, each stored or rejected


@FUZZ
@given(content=st.binary(max_size=400), prefix=st.sampled_from([b"", b"{", b"[", b"PK\x03\x04", b"\xef\xbb\xbf{"]))
def test_random_bytes_as_json_or_csv_or_zip(meter, tmp_path, content, prefix):
    assert_explained(_upload(tmp_path, prefix + content, ".csv"))


xlsx_cell = st.one_of(
    st.none(),
    st.sampled_from(GOOD_CELLS),
    st.text(max_size=30).map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s).encode("utf-8", "ignore").decode()),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 1, 1)),
    st.booleans(),
)


@settings(FUZZ, max_examples=15)  # a workbook costs more to write and read than a CSV
@given(
    header=st.sampled_from(sorted(HEADERS)),
    rows=st.lists(st.lists(xlsx_cell, min_size=1, max_size=10), min_size=1, max_size=8),
)
def test_xlsx_sheets_of_hostile_cells_are_each_stored_or_rejected(meter, tmp_path, header, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS[header].split(","))
    for row in rows:
        sheet.append(["M001", *row])  # never a blank row, so each is one row the batch accounts for
    buffer = io.BytesIO()
    workbook.save(buffer)
    outcome = _upload(tmp_path, buffer.getvalue(), ".xlsx")
    assert_explained(outcome, data_lines=len(rows) if header.startswith("long") or header == "chinese" else None)
    assert isinstance(outcome, IngestBatch) and outcome.status == IngestBatch.Status.COMPLETED, outcome


def _zip_renamed(*, workbook: bool) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.csv", f"{HEADERS['long']}\nM001,2026-11-01T00:15:00+08:00,0.25\n")
        if workbook:
            archive.writestr("xl/workbook.xml", "<workbook><not-closed>")
    return buffer.getvalue()


FIXED_CASES = {
    "empty file": b"",
    "header only": f"{HEADERS['long']}\n".encode(),
    "header only, no newline": HEADERS["register"].encode(),
    "zip renamed .csv": _zip_renamed(workbook=False),
    "broken workbook renamed .csv": _zip_renamed(workbook=True),
    "UTF-16 file": f"{HEADERS['long']}\nM001,2026-11-01T00:15:00+08:00,0.25\n".encode("utf-16"),
    "UTF-16 without BOM": f"{HEADERS['long']}\nM001,2026-11-01T00:15:00+08:00,0.25\n".encode("utf-16-le"),
    "GBK file": f"{HEADERS['chinese']}\nM001,2026-11-01 08:00:00,0.75\n表1,2026-11-01 08:15:00,0.5\n".encode("gbk"),
    "header over 131,072 characters": (
        HEADERS["long"] + "," + "x" * 140_000 + "\nM001,2026-11-01T00:15:00+08:00,1\n"
    ).encode(),
    "1 MB line": (
        HEADERS["long"] + '\nM001,"' + "9" * (1 << 20) + '",0.5\nM001,2026-11-01T00:15:00+08:00,0.25\n'
    ).encode(),
    "1 MB field over the csv module's limit": (HEADERS["long"] + '\nM001,"a\r' + "b" * 140_000 + '",1\n').encode(),
    "NUL in the meter number": f"{HEADERS['long']}\nM001\x00,2026-11-01T00:15:00+08:00,0.25\n".encode(),
    "lone surrogate": HEADERS["long"].encode() + b"\nM\xed\xa0\x80,2026-11-01T00:15:00+08:00,0.25\n",
    "unbalanced quote": f'{HEADERS["long"]}\nM001,"2026-11-01T00:15:00+08:00,0.25\nM001,2026-11-01T00:30:00+08:00,0.25\n'.encode(),
    "deeply nested JSON": b"[" * 100_000 + b"]" * 100_000,
    "JSON number of 5,000 digits": b'{"readings": [{"meter_no": "M001", "timestamp": "2026-11-01T00:15:00+08:00", "kwh": '
    + b"9" * 5000
    + b"}]}",
    "JSON not UTF-8": '{"readings": [{"meter_no": "表", "timestamp": "x", "kwh": 1}]}'.encode("gbk"),
    "random binary": bytes(range(256)) * 64,
}


def _json(records) -> bytes:
    return json.dumps({"readings": records}).encode()


FIXED_JSON = {
    "no readings": _json([]),
    "readings not a list": b'{"readings": "M001"}',
    "1 MB value": _json([{"meter_no": "M001", "timestamp": "2026-11-01T00:15:00+08:00", "kwh": "9" * (1 << 20)}]),
    "key over 131,072 characters": _json([{"meter_no": "M001", "x" * 140_000: 1, "kwh": 1}]),
    "NUL and lone surrogate escapes": rb'{"readings": [{"meter_no": "M\u0000", "timestamp": "\ud800", "kwh": 1}]}',
    "UTF-16 JSON": json.dumps({"readings": [{"meter_no": "M001"}]}).encode("utf-16"),
    "UTF-16 JSON without BOM": json.dumps({"readings": [{"meter_no": "M001"}]}).encode("utf-16-le"),
    "records of mixed fields": _json(
        [
            {"meter_no": "M001", "timestamp": "2026-11-01T00:15:00+08:00", "kwh": 1},
            {"meter_no": "M001", "read_at": "2026-11-01T00:00:00+08:00", "total": 1},
            {"meter_no": ["M001"], "timestamp": {"a": 1}, "kwh": [1, 2]},
        ]
    ),
}


def _workbook(rows: list[list], *, header: list[str] | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header or HEADERS["long"].split(","))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _with_sheet_xml(content: bytes, replace: tuple[bytes, bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(*replace)
            target.writestr(part, data)
    return buffer.getvalue()


FIXED_XLSX = {
    "empty sheet": _workbook([], header=[]),
    "header only": _workbook([]),
    "1 MB cell": _workbook([["M001", "2026-11-01T00:15:00+08:00", "9" * (1 << 20)]]),
    "header cell over 131,072 characters": _workbook([["M001", 1, 1]], header=["meter_no", "x" * 140_000]),
    "line breaks in cells": _workbook([["M001\n", "2026-11-01T00:15:00+08:00\r\n", 0.25], ["M0\n01", "x", 1]]),
    "NUL as a character reference": _with_sheet_xml(
        _workbook([["M001", "2026-11-01T00:15:00+08:00", "NULHERE"]]), (b"NULHERE", b"&#0;")
    ),
    "sheet XML cut short": _with_sheet_xml(
        _workbook([["M001", "2026-11-01T00:15:00+08:00", 1]]), (b"</sheetData>", b"")
    ),
    "row far down the sheet": _with_sheet_xml(
        _workbook([["M001", "2026-11-01T00:15:00+08:00", 1]]), (b'<row r="2"', b'<row r="1000000"')
    ),
}


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("csv", n) for n in FIXED_CASES] + [("json", n) for n in FIXED_JSON] + [("xlsx", n) for n in FIXED_XLSX],
)
def test_named_hostile_files_end_explained(meter, tmp_path, fmt, name):
    content = {"csv": FIXED_CASES, "json": FIXED_JSON, "xlsx": FIXED_XLSX}[fmt][name]
    outcome = _upload(tmp_path, content, f".{fmt}")
    assert_explained(outcome)


def test_one_row_for_an_unknown_meter_is_rejected_not_a_crash(tmp_path):
    """Regression (#13 finding 5): no meter of the chunk known → IndexError in validation, batch stuck."""
    for header, row in [
        (HEADERS["long"], "M404,2026-11-01T00:15:00+08:00,0.25"),
        (HEADERS["register"], "M404,2026-11-01T00:00:00+08:00,1,,,,,"),
        (HEADERS["wide_24"], "M404,2026-11-02," + ",".join(["0.1"] * 24)),
    ]:
        batch = _upload(tmp_path, f"{header}\n{row}\n".encode(), ".csv")
        assert isinstance(batch, IngestBatch)
        assert (batch.status, batch.inserted, batch.rejected) == ("completed", 0, batch.received)
        assert set(batch.rejected_rows.values_list("line_number", "reason_code")) == {(2, "unknown_meter")}


def test_nul_bytes_reject_their_line_and_the_rest_is_stored(meter, tmp_path):
    """Regression (#13 finding 5): a NUL reached PostgreSQL in a rejected row (ValueError, batch stuck);
    a trailing NUL was also read as padding, so "M001\\0" passed as M001."""
    batch = _upload(
        tmp_path,
        f"{HEADERS['long']}\n"
        "M001,2026-11-01T00:15:00+08:00,0.25\n"
        "M0\x0001,2026-11-01T00:30:00+08:00,0.25\n"
        "M001\x00,2026-11-01T00:45:00+08:00,0.25\n".encode(),
        ".csv",
    )
    assert isinstance(batch, IngestBatch)
    assert (batch.status, batch.inserted, batch.rejected) == ("completed", 1, 2)
    rejected = {r.line_number: (r.reason_code, r.message, r.raw) for r in batch.rejected_rows.all()}
    assert rejected == {
        3: ("malformed", "line contains a NUL byte", "M0\ufffd01,2026-11-01T00:30:00+08:00,0.25"),
        4: ("malformed", "line contains a NUL byte", "M001\ufffd,2026-11-01T00:45:00+08:00,0.25"),
    }


def test_json_lone_surrogates_and_nul_are_rejected_per_record(meter):
    payload = {
        "readings": [
            {"meter_no": "M001", "timestamp": "2026-11-01T00:15:00+08:00", "kwh": "0.25"},
            {"meter_no": "M\ud800", "timestamp": "2026-11-01T00:30:00+08:00", "kwh": "0.25"},
            {"meter_no": "M001\x00", "timestamp": "2026-11-01T00:45:00+08:00", "kwh": "0.25"},
        ]
    }
    batch = _run(create_batch_from_json(source=IngestBatch.Source.API, payload=payload, as_of=AS_OF))
    assert (batch.status, batch.inserted, batch.rejected) == ("completed", 1, 2)
    rejected = dict(batch.rejected_rows.values_list("line_number", "message"))
    assert rejected[2].startswith("line is not valid UTF-8 text") and rejected[3] == "line contains a NUL byte"
    # The record as it came, JSON-escaped, so the NUL is visible in the report.
    assert json.loads(batch.rejected_rows.get(line_number=3).raw)["meter_no"] == "M001\x00"


def test_an_open_quote_or_stray_cr_rejects_only_its_own_line(meter, tmp_path):
    """Regression (#13 finding 5): pandas ran an open quote into the next line and split a line at a
    stray CR; the row count no longer matched and ValueError left the batch processing. Now such
    lines are read one by one: each rejects itself, the line between them is stored."""
    batch = _upload(
        tmp_path,
        f"{HEADERS['long']}\n"
        'M001,"2026-11-01T00:15:00+08:00,0.25\n'
        "M001,2026-11-01T00:30:00+08:00,0.3\u3000\n"  # non-ASCII: read by the general reader too
        "M001,x\rM001,2026-11-01T00:45:00+08:00,0.4\n".encode(),
        ".csv",
    )
    assert isinstance(batch, IngestBatch)
    assert (batch.status, batch.received, batch.inserted, batch.rejected) == ("completed", 3, 1, 2)
    rejected = dict(batch.rejected_rows.values_list("line_number", "message"))
    assert rejected[2] == "missing fields"
    assert rejected[4].startswith("unreadable CSV line: new-line character seen in unquoted field")
    stored = IntervalReading.objects.get(meter=meter)
    assert (stored.interval_start, stored.kwh) == (dt.datetime(2026, 11, 1, 0, 30, tzinfo=SHANGHAI), Decimal("0.3000"))
