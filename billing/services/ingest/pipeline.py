"""Meter-data batches: store the upload, then process it chunk by chunk.

Speed: a background thread reads and parses the next chunk (numpy on the file's bytes, no database)
while this thread checks the current one against the meters and writes it; at most two chunks are
alive at a time, which bounds the memory whatever the file's size.

Crash safety: every chunk commits its readings, its rejected rows and its IngestChunk counts in one
transaction. A worker killed mid-batch leaves whole chunks or nothing of a chunk; the retried task
skips committed chunks (chunk boundaries are fixed line counts, so they are the same chunks) and the
batch totals are the sum over chunk rows, so nothing is counted twice. Estimation commits together
with its ``estimation_done`` flag for the same reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce, Now

from billing.models import IngestBatch, IngestChunk, RejectedRow
from billing.services.completeness import refresh_completeness
from billing.services.estimation import estimate_gaps, meters_with_possible_gaps
from billing.services.ingest import layouts, spreadsheets
from billing.services.ingest.layouts import storable_text
from billing.services.ingest.spreadsheets import SpreadsheetLimits
from billing.services.ingest.validate import (
    MeterDirectory,
    ParsedChunk,
    ValidatedChunk,
    ValidationSettings,
    check_chunk,
    parse_chunk,
)
from billing.services.ingest.writers import merge_interval_rows, merge_register_rows
from billing.services.partitions import ensure_interval_partitions
from core.tasks import enqueue_on_commit
from core.time import day_span

DEFAULT_CHUNK_ROWS = 200_000
PARSE_AHEAD = 1
_DONE = object()
COUNTERS = ("received", "inserted", "updated", "unchanged", "duplicates", "rejected")
LOCAL_OFFSET_S = 8 * 3600
ERROR_MAX_CHARS = 2000
logger = logging.getLogger(__name__)


class BatchInputError(ValueError):
    """The upload cannot be read as meter data at all (empty, unknown layout, bad JSON)."""


def ingest_storage_dir() -> Path:
    path = Path(settings.PRIVATE_STORAGE_ROOT) / "ingest"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _kind_of(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(4).lstrip(b"\xef\xbb\xbf")
    if head.startswith(b"PK"):
        return "xlsx"
    if head[:1] in (b"{", b"["):
        return "json"
    return "csv"


def open_layout(
    path: Path, *, chunk_rows: int = DEFAULT_CHUNK_ROWS, limits: SpreadsheetLimits | None = None
) -> tuple[layouts.Layout, Iterator[layouts.RawChunk]]:
    """The file's layout and its chunks; raises BatchInputError for unreadable content. Opens a
    workbook with openpyxl: for the ingest queue only (``check_upload`` is the request's part)."""
    kind = _kind_of(path)
    try:
        if kind == "xlsx":
            return spreadsheets.read_xlsx(
                path=path, chunk_rows=chunk_rows, limits=limits or spreadsheets.SpreadsheetLimits.from_settings()
            )
        if kind == "json":
            with path.open(encoding="utf-8-sig") as handle:
                return layouts.read_json(json.load(handle), chunk_rows=chunk_rows)
        layout, encoding = layouts.read_header(path)
        return layout, layouts.iter_csv_chunks(path, layout=layout, encoding=encoding, chunk_rows=chunk_rows)
    except layouts.UnreadableFileError as exc:
        raise BatchInputError(str(exc)) from exc
    except (ValueError, RecursionError) as exc:  # JSON: bad syntax or encoding, too deep, a 5,000-digit number
        if kind == "json":
            raise BatchInputError(f"the JSON cannot be read: {exc}") from exc
        if kind == "xlsx":
            raise BatchInputError(f"the workbook cannot be read: {exc}") from exc
        raise
    except Exception as exc:  # openpyxl raises a zoo of types for corrupt workbooks
        if kind == "xlsx":
            raise BatchInputError(f"the workbook cannot be read: {type(exc).__name__}: {exc}") from exc
        raise


def check_upload(path: Path) -> str:
    """What the request may check of an upload, cheaply: a CSV's or JSON's layout (their header is
    read, nothing else), a workbook's zip directory against the limits (nothing is decompressed —
    the sheet is read on the ingest queue). The layout's name, "" for a workbook; raises
    BatchInputError."""
    if _kind_of(path) == "xlsx":
        try:
            spreadsheets.check_container(path=path, limits=spreadsheets.SpreadsheetLimits.from_settings())
        except layouts.UnreadableFileError as exc:
            raise BatchInputError(str(exc)) from exc
        return ""
    layout, _ = open_layout(path)
    return layout.name


def create_batch(
    *, source: str, path: Path, filename: str, as_of: dt.datetime, created_by=None, copy_into_storage: bool = True
) -> IngestBatch:
    """Register an upload as a PENDING batch after checking its layout (so an unknown layout is a
    clear error now, not a failed batch later). Uploads are copied into private storage under their
    content hash; the command line may leave a local file where it is. A workbook's layout is
    only known once the ingest queue has read its header."""
    layout_name = check_upload(path)
    sha256 = _sha256_of(path)
    stored = path
    if copy_into_storage:
        stored = ingest_storage_dir() / f"{sha256}{path.suffix.lower() or '.dat'}"
        if not stored.exists():
            shutil.copyfile(path, stored)
    return IngestBatch.objects.create(
        source=source,
        filename=layouts.storable_text(filename)[:255],
        stored_path=str(stored),
        content_sha256=sha256,
        size_bytes=path.stat().st_size,
        layout=layout_name,
        as_of=as_of,
        created_by=created_by,
    )


def create_batch_from_json(*, source: str, payload: dict | list, as_of: dt.datetime, created_by=None) -> IngestBatch:
    """A JSON batch from the API: stored as a file like any upload, so workers read it the same way."""
    # ASCII escapes keep lone surrogates (valid JSON, not encodable) for the reader to reject per record.
    content = json.dumps(payload, default=str).encode()
    staging = ingest_storage_dir() / f"upload-{hashlib.sha256(content).hexdigest()}.json"
    staging.write_bytes(content)
    return create_batch(source=source, path=staging, filename="api.json", as_of=as_of, created_by=created_by)


def _write_chunk(*, batch: IngestBatch, kind: str, validated: ValidatedChunk, seconds_parsing: float) -> None:
    started = time.perf_counter()
    if kind == layouts.INTERVAL and not validated.valid.empty:
        # Partition DDL commits on its own, before the chunk's transaction.
        local = (validated.valid["epoch"].to_numpy() + LOCAL_OFFSET_S).astype("datetime64[s]")
        months = np.unique(local.astype("datetime64[M]")).astype("datetime64[D]").tolist()
        ensure_interval_partitions(months=months)
    with transaction.atomic():
        merge = merge_interval_rows if kind == layouts.INTERVAL else merge_register_rows
        counts = merge(valid=validated.valid, batch_id=batch.pk)
        RejectedRow.objects.bulk_create(
            [
                RejectedRow(
                    batch=batch,
                    line_number=line,
                    raw=storable_text(raw[:1000]),
                    reason_code=reason_code,
                    message=storable_text(message),
                )
                for line, raw, reason_code, message in validated.rejected[
                    ["line", "raw", "reason_code", "message"]
                ].itertuples(index=False, name=None)
            ],
            batch_size=5000,
        )
        IngestChunk.objects.create(
            batch=batch,
            index=validated.index,
            received=validated.received,
            inserted=counts.inserted,
            updated=counts.updated,
            unchanged=counts.unchanged,
            duplicates=validated.duplicates,
            rejected=validated.rejected_count,
            seconds=seconds_parsing + time.perf_counter() - started,
        )


def _finish(
    *,
    batch: IngestBatch,
    kind: str,
    meter_days: set[tuple[int, dt.date]],
    coverage: list[pd.DataFrame],
) -> None:
    if kind == layouts.INTERVAL and meter_days:
        if not batch.estimation_done:
            days = [d for _, d in meter_days]
            start, end = day_span(min(days) - dt.timedelta(days=1), max(days) + dt.timedelta(days=2))
            with transaction.atomic():
                meter_ids = meters_with_possible_gaps(coverage=pd.concat(coverage), start=start, end=end)
                estimated = estimate_gaps(meter_ids=meter_ids, start=start, end=end, batch_id=batch.pk)
                IngestBatch.objects.filter(pk=batch.pk).update(estimated=estimated, estimation_done=True)
        refresh_completeness(meter_days=meter_days, as_of=batch.as_of)
    totals = batch.chunks.aggregate(**{name: Sum(name) for name in COUNTERS})
    IngestBatch.objects.filter(pk=batch.pk).update(
        **{name: totals[name] or 0 for name in COUNTERS},
        status=IngestBatch.Status.COMPLETED,
        finished_at=Now(),  # operational timestamps come from the database clock
        error="",
    )


def process_batch(
    *,
    batch_id: int,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    spike_factor: float | None = None,
    max_attempts: int | None = None,
    on_chunk: Callable[[ValidatedChunk], None] | None = None,
) -> IngestBatch:
    """Process (or resume) a batch. Idempotent: committed chunks are skipped, so running it again
    after a crash — or after it completed — gives the same tables and the same counts.

    Every batch ends explained: COMPLETED (each row stored or rejected with its line and reason) or
    FAILED with a readable ``error`` — at once for content that cannot be read, and for an unexpected
    error; after ``max_attempts`` (INGEST_MAX_ATTEMPTS) starts for a database outage or a worker
    that keeps dying on it. A FAILED batch is processed again only after a staff retry."""
    max_attempts = max_attempts if max_attempts is not None else settings.INGEST_MAX_ATTEMPTS
    batch = IngestBatch.objects.get(pk=batch_id)
    if batch.status in (IngestBatch.Status.COMPLETED, IngestBatch.Status.FAILED):
        return batch
    IngestBatch.objects.filter(pk=batch.pk).update(
        status=IngestBatch.Status.PROCESSING, started_at=Coalesce("started_at", Now()), attempts=F("attempts") + 1
    )
    batch.refresh_from_db()
    if batch.attempts > max_attempts:
        # Earlier deliveries started and never finished: the worker died on this batch (out of memory,
        # killed) or the database kept failing. Another go would only do the same.
        reason = f"gave up after {max_attempts} attempts that did not finish"
        return _fail(batch=batch, error=f"{reason}; last error: {batch.error}" if batch.error else reason)
    try:
        return _process(batch=batch, chunk_rows=chunk_rows, spike_factor=spike_factor, on_chunk=on_chunk)
    except (BatchInputError, layouts.UnreadableFileError, FileNotFoundError) as exc:
        # The content (a limit, a corrupt workbook part): a readable reason, and no point retrying.
        return _fail(batch=batch, error=str(exc))
    except (OperationalError, InterfaceError) as exc:
        # The database went away: worth another attempt (the task retries these), up to the limit.
        error = f"attempt {batch.attempts} of {max_attempts}: {type(exc).__name__}: {exc}"
        if batch.attempts >= max_attempts:
            return _fail(batch=batch, error=f"gave up after {max_attempts} attempts; last error: {error}")
        with suppress(DatabaseError):
            IngestBatch.objects.filter(pk=batch.pk).update(error=storable_text(error)[:ERROR_MAX_CHARS])
        raise
    except Exception as exc:
        # A fault of ours, not of the file: the same input would fail the same way again, so the batch
        # fails now with the error for staff (admin list, API) instead of looping through retries.
        logger.exception("ingest batch %s failed", batch.pk)
        return _fail(batch=batch, error=f"unexpected error: {type(exc).__name__}: {exc}")


def _fail(*, batch: IngestBatch, error: str) -> IngestBatch:
    """FAILED with the reason; the chunks committed so far stay (a staff retry resumes after them)."""
    IngestBatch.objects.filter(pk=batch.pk).update(
        status=IngestBatch.Status.FAILED, error=storable_text(error)[:ERROR_MAX_CHARS], finished_at=Now()
    )
    return IngestBatch.objects.get(pk=batch.pk)


def _process(
    *,
    batch: IngestBatch,
    chunk_rows: int,
    spike_factor: float | None,
    on_chunk: Callable[[ValidatedChunk], None] | None,
) -> IngestBatch:
    layout, chunks = open_layout(Path(batch.stored_path), chunk_rows=chunk_rows)
    if batch.layout != layout.name:  # a workbook's layout is known from here on
        IngestBatch.objects.filter(pk=batch.pk).update(layout=layout.name)
    committed = set(batch.chunks.values_list("index", flat=True))
    vee = ValidationSettings(
        as_of=batch.as_of,
        spike_factor=spike_factor if spike_factor is not None else settings.METER_SPIKE_FACTOR,
        tou_tolerance_kwh=settings.REGISTER_TOU_TOLERANCE_KWH,
    )
    meters = MeterDirectory()
    meter_days: set[tuple[int, dt.date]] = set()
    coverage: list[pd.DataFrame] = []
    # Parsing (pure CPU, no database) runs one chunk ahead in a thread while this one waits on the
    # database with the previous chunk; the meter rules and every write stay on this connection.
    for holder in _parsed_ahead(chunks, layout=layout):
        parsed, seconds_parsing = holder.pop()
        started = time.perf_counter()
        validated = check_chunk(parsed=parsed, layout=layout, meters=meters, settings=vee)
        index = parsed.index
        del parsed  # the parsed chunk is the larger object: let it go before writing
        meter_days |= validated.meter_days
        if validated.coverage is not None:
            coverage.append(validated.coverage)
        if index not in committed:
            _write_chunk(
                batch=batch,
                kind=layout.kind,
                validated=validated,
                seconds_parsing=seconds_parsing + time.perf_counter() - started,
            )
        if on_chunk is not None:
            on_chunk(validated)
    batch.refresh_from_db()
    _finish(batch=batch, kind=layout.kind, meter_days=meter_days, coverage=coverage)
    return IngestBatch.objects.get(pk=batch.pk)


def _parsed_ahead(
    chunks: Iterator[layouts.RawChunk], *, layout: layouts.Layout
) -> Iterator[list[tuple[ParsedChunk, float]]]:
    """Read and parse the chunks in a background thread, one chunk ahead of the consumer: at most
    two chunks are alive at a time (memory stays bounded). Each item comes in a one-element list
    for the consumer to pop, so this generator keeps no reference to a chunk being written.
    Exceptions surface here, in order."""
    results: queue.Queue = queue.Queue()
    slots = threading.Semaphore(PARSE_AHEAD + 1)
    stop = threading.Event()

    def take_slot() -> bool:
        while not stop.is_set():  # the consumer may have given up (an error while writing)
            if slots.acquire(timeout=0.1):
                return True
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                started = time.perf_counter()
                parsed = parse_chunk(chunk=chunk, layout=layout)
                del chunk
                results.put((parsed, time.perf_counter() - started))
                del parsed
                if not take_slot():
                    return
            results.put(_DONE)
        except BaseException as exc:  # handed over to the consumer
            results.put(exc)

    take_slot()
    worker = threading.Thread(target=produce, name="ingest-parse", daemon=True)
    worker.start()
    try:
        while (item := results.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            holder = [item]
            del item
            yield holder
            slots.release()
    finally:
        stop.set()
        worker.join()


def enqueue_batch(*, batch: IngestBatch) -> None:
    """Run the batch on the ``ingest`` queue once the transaction that created it commits."""
    enqueue_on_commit("billing.ingest_batch", queue="ingest", kwargs={"batch_id": batch.pk})
