"""Meter-data ingestion: ``create_batch`` / ``create_batch_from_json`` then ``process_batch``."""

from .pipeline import (
    BatchInputError,
    create_batch,
    create_batch_from_json,
    enqueue_batch,
    open_layout,
    process_batch,
)

__all__ = ["BatchInputError", "create_batch", "create_batch_from_json", "enqueue_batch", "open_layout", "process_batch"]
