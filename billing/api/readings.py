"""Placeholder replaced by the readings API (GET /api/v1/meters/{meter_no}/readings)."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView


class MeterReadingsView(APIView):
    @extend_schema(exclude=True)
    def get(self, request, meter_no: str):
        return Response(status=501)
