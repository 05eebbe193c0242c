""".xlsx meter-data exports, read with limits so a crafted workbook cannot exhaust a worker.

An .xlsx file is a zip of XML parts. Before openpyxl opens it, ``check_container`` reads only the
zip's directory (nothing is decompressed): the number of parts, each part's declared uncompressed size
and compression ratio, and their total. That is cheap enough for the web request, which refuses a
bomb there with a clear message; the workbook itself is only ever opened on the ingest queue
(``read_xlsx``, called by ``process_batch``), which also bounds rows, columns and reading time.
Python's zipfile never inflates a part past its declared size (it fails the part instead), so the
declared sizes checked here bound what openpyxl can be made to decompress.
"""

from __future__ import annotations

import csv
import io
import struct
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from billing.services.ingest.layouts import (
    EXPECTED_LAYOUTS_HELP,
    EXTRA_COLUMNS,
    Layout,
    RawChunk,
    UnknownLayoutError,
    UnreadableFileError,
    cell_text,
    detect_layout,
)

TIME_CHECK_ROWS = 256
SHORT_GAP_ROWS = 100  # empty rows kept as blank lines; a longer run of them ends the chunk
RATIO_CHECKED_FROM_BYTES = 1 << 20
PROLOGUE_BYTES = (
    4096  # where an XML part would declare its DTD  # small parts compress however they like; a bomb is large
)
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_EOCD_SEARCH = _EOCD_SIZE + 0xFFFF  # the record sits within the file's last 64 KiB (+ its comment)
_DIRECTORY_ENTRY_MIN_BYTES = 46
_ZIP64_MARKERS = (0xFFFF, 0xFFFFFFFF)


class SpreadsheetLimitError(UnreadableFileError):
    """The workbook goes past one of the limits; the message names the limit and its value."""


@dataclass(frozen=True)
class SpreadsheetLimits:
    max_uncompressed_bytes: int
    max_ratio: float
    max_parts: int
    max_rows: int
    max_columns: int
    max_seconds: float

    @classmethod
    def from_settings(cls) -> SpreadsheetLimits:
        return cls(
            max_uncompressed_bytes=settings.INGEST_XLSX_MAX_UNCOMPRESSED_BYTES,
            max_ratio=settings.INGEST_XLSX_MAX_RATIO,
            max_parts=settings.INGEST_XLSX_MAX_PARTS,
            max_rows=settings.INGEST_XLSX_MAX_ROWS,
            max_columns=settings.INGEST_XLSX_MAX_COLUMNS,
            max_seconds=settings.INGEST_XLSX_MAX_SECONDS,
        )


def _directory_entries(path: Path) -> int:
    """The part count from the zip's end record, read before zipfile parses the whole directory
    (a crafted directory of millions of entries would cost the request gigabytes)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - _EOCD_SEARCH))
        tail = handle.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        raise UnreadableFileError("the file starts like a zip (.xlsx) but has no zip directory")
    _, _, _, _, entries, directory_bytes, _, _ = struct.unpack("<4sHHHHIIH", tail[at : at + _EOCD_SIZE])
    if entries in _ZIP64_MARKERS or directory_bytes in _ZIP64_MARKERS:
        raise SpreadsheetLimitError("the workbook is a ZIP64 archive; meter-data exports never need one")
    return max(entries, directory_bytes // _DIRECTORY_ENTRY_MIN_BYTES)


def check_container(*, path: Path, limits: SpreadsheetLimits) -> None:
    """Refuse a workbook whose zip directory declares more than the limits allow, decompressing nothing."""
    if (entries := _directory_entries(path)) > limits.max_parts:
        raise SpreadsheetLimitError(f"the workbook has {entries:,} parts; the limit is {limits.max_parts:,}")
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnreadableFileError(f"the file starts like a zip (.xlsx) but cannot be read as one: {exc}") from exc
    names = {part.filename for part in parts}
    if "xl/workbook.xml" not in names:
        raise UnreadableFileError(
            f"the zip file is not an .xlsx workbook (no xl/workbook.xml); {EXPECTED_LAYOUTS_HELP}"
        )
    total = 0
    for part in parts:
        total += part.file_size
        if total > limits.max_uncompressed_bytes:
            raise SpreadsheetLimitError(
                f"the workbook unpacks to more than {limits.max_uncompressed_bytes:,} bytes "
                f"(part {part.filename} alone declares {part.file_size:,}); "
                f"the limit on uncompressed size is {limits.max_uncompressed_bytes:,} bytes"
            )
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size >= RATIO_CHECKED_FROM_BYTES and ratio > limits.max_ratio:
            raise SpreadsheetLimitError(
                f"part {part.filename} is compressed {ratio:,.0f}:1; the limit on the compression ratio is "
                f"{limits.max_ratio:,.0f}:1 (a decompression bomb?)"
            )


def _refuse_entity_declarations(path: Path) -> None:
    """Office XML never declares a DTD; a part that does is an entity-expansion or external-entity
    attempt, refused before any XML parser sees it. Only each part's first bytes are inflated."""
    with zipfile.ZipFile(path) as archive:
        for part in archive.infolist():
            if not part.filename.endswith((".xml", ".rels")):
                continue
            with archive.open(part) as handle:
                head = handle.read(PROLOGUE_BYTES)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise UnreadableFileError(f"part {part.filename} declares a DTD; workbooks never do")


def read_xlsx(*, path: Path, chunk_rows: int, limits: SpreadsheetLimits) -> tuple[Layout, Iterator[RawChunk]]:
    """First worksheet of an .xlsx export as CSV chunks; row numbers are the spreadsheet's own. Runs
    on the ingest queue only: the container is checked again first, then rows, columns and time are
    bounded while reading."""
    from openpyxl import load_workbook

    check_container(path=path, limits=limits)
    _refuse_entity_declarations(path)
    started = time.monotonic()
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        declared_rows = sheet.max_row or 0  # from the sheet's <dimension>, when it has one
        if declared_rows > limits.max_rows + 1:
            raise SpreadsheetLimitError(
                f"the sheet declares {declared_rows:,} rows; the limit is {limits.max_rows:,} rows of data"
            )
        # max_row is ours, not the sheet's <dimension>, which openpyxl would otherwise trust and
        # silently cut the rows after it. No max_col: it would hide cells right of it, not skip them.
        rows = sheet.iter_rows(max_row=limits.max_rows + 2, values_only=True)
        header = next(rows, None)
    except BaseException:
        workbook.close()
        raise
    if header is None:
        workbook.close()
        raise UnknownLayoutError(f"the workbook's first sheet is empty; {EXPECTED_LAYOUTS_HELP}")
    try:
        layout = detect_layout([cell_text(h) for h in _within_columns(header, line=1, limits=limits)])
    except BaseException:
        workbook.close()
        raise
    width = len(layout.columns) + EXTRA_COLUMNS

    def chunks() -> Iterator[RawChunk]:
        # openpyxl fills every missing row up to the next one it finds: one <row r="1000000"> makes
        # a million empty rows. A short run of them stays as blank lines (line numbers count them);
        # a longer one ends the chunk and the next starts at the next row with a value, so a gap costs
        # a loop step per row and nothing downstream. Chunks still depend on the content alone.
        lines_per_chunk = max(1, chunk_rows // (layout.points or 1))
        index, first_line, line, written, gap = 0, 2, 1, 0, 0
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")

        def chunk() -> RawChunk:
            data = buffer.getvalue().encode("utf-8", "surrogatepass")
            buffer.seek(0)
            buffer.truncate()
            return RawChunk(index=index, first_line=first_line, data=data, encoding="utf-8")

        try:
            while True:
                try:
                    row = next(rows, None)
                except Exception as exc:  # openpyxl on a sheet that is corrupt further down
                    raise UnreadableFileError(
                        f"the workbook cannot be read after row {line:,}: {type(exc).__name__}: {exc}"
                    ) from exc
                if row is None:
                    break
                line += 1
                if line - 1 > limits.max_rows:
                    raise SpreadsheetLimitError(
                        f"the sheet has more than {limits.max_rows:,} rows of data; the limit is {limits.max_rows:,}"
                    )
                if line % TIME_CHECK_ROWS == 0 and (elapsed := time.monotonic() - started) > limits.max_seconds:
                    raise SpreadsheetLimitError(
                        f"reading the workbook took {elapsed:,.0f} s by row {line:,}; "
                        f"the limit is {limits.max_seconds:,.0f} s"
                    )
                if all(v is None for v in row):
                    gap += 1
                    if written and gap <= SHORT_GAP_ROWS:
                        buffer.write("\n")
                        written += 1
                    else:
                        if written:
                            yield chunk()
                            index, written = index + 1, 0
                        first_line = line + 1
                        continue
                else:
                    gap = 0
                    writer.writerow([cell_text(v) for v in _within_columns(row, line=line, limits=limits)][:width])
                    written += 1
                if written == lines_per_chunk:
                    yield chunk()
                    index, first_line, written = index + 1, line + 1, 0
            if written:
                yield chunk()
        finally:
            workbook.close()

    return layout, chunks()


def _within_columns(row: tuple, *, line: int, limits: SpreadsheetLimits) -> tuple:
    if len(row) > limits.max_columns and any(v is not None for v in row[limits.max_columns :]):
        raise SpreadsheetLimitError(
            f"row {line:,} has more than {limits.max_columns:,} columns; the limit is {limits.max_columns:,}"
        )
    return row[: limits.max_columns]
