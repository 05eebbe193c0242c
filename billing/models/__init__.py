from .bills import Bill, BillingRun, BillingRunChunk, BillLine, BillRead, TariffAssignment
from .ingest import IngestBatch, IngestChunk, RejectedRow
from .meters import Meter
from .readings import IntervalReading, MeterDayCompleteness, Quality, ReadingEdit, RegisterRead
from .tariffs import Tariff, TariffVersion, TouCalendar, TouPeriod, TouWindow

__all__ = [
    "Bill",
    "BillLine",
    "BillRead",
    "BillingRun",
    "BillingRunChunk",
    "IngestBatch",
    "IngestChunk",
    "IntervalReading",
    "Meter",
    "MeterDayCompleteness",
    "Quality",
    "ReadingEdit",
    "RegisterRead",
    "RejectedRow",
    "Tariff",
    "TariffAssignment",
    "TariffVersion",
    "TouCalendar",
    "TouPeriod",
    "TouWindow",
]
