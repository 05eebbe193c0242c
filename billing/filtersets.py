"""django-filter FilterSets of the billing app: the query parameters of the API lists (bills, ledger,
payments, ingest batches, tariffs). The staff lists of the same objects are the admin's change lists,
which filter through the admin's own ``list_filter``; a staff page listing them outside the admin uses
these."""

from __future__ import annotations

from billing.models import Bill, IngestBatch, LedgerEntry, Payment, Tariff
from core.api.filters import FilterSet


class BillFilterSet(FilterSet):
    class Meta:
        model = Bill
        fields = {"status": ["exact"], "period_start": ["exact", "gte", "lte"], "account__number": ["exact"]}


class LedgerEntryFilterSet(FilterSet):
    class Meta:
        model = LedgerEntry
        fields = {"kind": ["exact"], "occurred_on": ["gte", "lte"], "account__number": ["exact"]}


class PaymentFilterSet(FilterSet):
    class Meta:
        model = Payment
        fields = ["status", "channel"]


class IngestBatchFilterSet(FilterSet):
    class Meta:
        model = IngestBatch
        fields = ["status", "source", "layout"]


class TariffFilterSet(FilterSet):
    class Meta:
        model = Tariff
        fields = ["category"]
