from .bills import Bill, BillingRun, BillingRunChunk, BillLine, BillRead, TariffAssignment
from .ingest import IngestBatch, IngestChunk, RejectedRow
from .ledger import LedgerEntry, Payment, PaymentAllocation, PrepaidAccount, SandboxTransaction
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
    "LedgerEntry",
    "Meter",
    "MeterDayCompleteness",
    "Payment",
    "PaymentAllocation",
    "PrepaidAccount",
    "Quality",
    "ReadingEdit",
    "RegisterRead",
    "RejectedRow",
    "SandboxTransaction",
    "Tariff",
    "TariffAssignment",
    "TariffVersion",
    "TouCalendar",
    "TouPeriod",
    "TouWindow",
]
