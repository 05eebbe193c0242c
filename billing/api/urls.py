"""Billing's part of /api/v1/ (SimpleRouter: the API root view belongs to customers' DefaultRouter):
meter-data batches, meters' readings and register reads, tariffs and quotes, payments, bills, the
ledger and prepaid settings."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from billing.api.batches import IngestBatchViewSet
from billing.api.bills import BillViewSet, LedgerViewSet, PrepaidViewSet
from billing.api.payments import PaymentViewSet
from billing.api.readings import MeterReadingsView, MeterRegisterReadsView
from billing.api.tariffs import TariffViewSet

router = SimpleRouter(trailing_slash=False)
router.register("meter-data/batches", IngestBatchViewSet, basename="ingest-batch")
router.register("tariffs", TariffViewSet, basename="tariff")
router.register("payments", PaymentViewSet, basename="payment")
router.register("bills", BillViewSet, basename="bill")
router.register("ledger", LedgerViewSet, basename="ledger")
router.register("prepaid", PrepaidViewSet, basename="prepaid")

urlpatterns = [
    *router.urls,
    path("meters/<str:meter_no>/readings", MeterReadingsView.as_view(), name="meter-readings"),
    path("meters/<str:meter_no>/register-reads", MeterRegisterReadsView.as_view(), name="meter-register-reads"),
]
