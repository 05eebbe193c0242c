"""Meter data handed in by staff (the admin's upload page) and integrators (the batches API): register
the upload as a PENDING batch and queue it on the ingest queue, in one call."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile

from billing.models import IngestBatch
from billing.services.ingest.pipeline import create_batch, create_batch_from_json, enqueue_batch


def submit_uploaded_file(*, source: str, upload: UploadedFile, as_of: dt.datetime, created_by=None) -> IngestBatch:
    """An uploaded file (CSV, JSON or .xlsx) as a batch on the ingest queue; raises BatchInputError when
    the file cannot be read as meter data at all."""
    assert upload.name is not None  # a multipart upload always carries its file name
    suffix = Path(upload.name).suffix.lower()[:8]
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        batch = create_batch(
            source=source, path=Path(handle.name), filename=upload.name, as_of=as_of, created_by=created_by
        )
    enqueue_batch(batch=batch)
    return batch


def submit_json_readings(*, source: str, payload: dict | list, as_of: dt.datetime, created_by=None) -> IngestBatch:
    """JSON records as a batch on the ingest queue; raises BatchInputError for unreadable records."""
    batch = create_batch_from_json(source=source, payload=payload, as_of=as_of, created_by=created_by)
    enqueue_batch(batch=batch)
    return batch
