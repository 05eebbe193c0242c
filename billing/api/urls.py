"""Billing's part of /api/v1/ (SimpleRouter: the API root view belongs to customers' DefaultRouter)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from billing.api.batches import IngestBatchViewSet
from billing.api.readings import MeterReadingsView, MeterRegisterReadsView

router = SimpleRouter(trailing_slash=False)
router.register("meter-data/batches", IngestBatchViewSet, basename="ingest-batch")

urlpatterns = [
    *router.urls,
    path("meters/<str:meter_no>/readings", MeterReadingsView.as_view(), name="meter-readings"),
    path("meters/<str:meter_no>/register-reads", MeterRegisterReadsView.as_view(), name="meter-register-reads"),
]
