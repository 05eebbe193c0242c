from .ingest import IngestBatch, IngestChunk, RejectedRow
from .meters import Meter
from .readings import IntervalReading, MeterDayCompleteness, Quality, ReadingEdit, RegisterRead

__all__ = [
    "IngestBatch",
    "IngestChunk",
    "IntervalReading",
    "Meter",
    "MeterDayCompleteness",
    "Quality",
    "ReadingEdit",
    "RegisterRead",
    "RejectedRow",
]
