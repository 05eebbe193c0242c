"""Reading meter data back (Octopus Energy's consumption endpoint is the model):

GET /api/v1/meters/{meter_no}/readings?period_from=&period_to=&group_by=hour|day|month&order=asc|desc
GET /api/v1/meters/{meter_no}/register-reads?period_from=&period_to=&order=asc|desc

Anyone signed in may call them; which meters exist for the caller is decided by
``billing.selectors.meters.meters_visible_to`` and everything else is a 404 (customers: their bound accounts'
meters; staff and the AMI head-end group: by billing permissions). kWh travel as decimal strings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import parse_etags, quote_etag
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from billing.models import IntervalReading, Meter, Quality, RegisterRead
from billing.selectors.consumption import (
    Grouping,
    as_consumption,
    consumption_by_period,
    interval_readings,
    quality_code,
    register_reads,
)
from billing.selectors.meters import access_meter
from billing.selectors.usage import READINGS_NAMESPACE
from core import clock
from core.api.fields import BoundedDateTimeField
from core.cache import source_versions
from core.money import round_kwh
from core.time import SHANGHAI, local_midnight

QUALITY_CODES = [quality_code(q) for q in Quality.values]
# Longest period one request may cover, in days: raw intervals are 96 rows a day per meter.
MAX_PERIOD_DAYS = {None: 400, Grouping.HOUR: 400, Grouping.DAY: 3660, Grouping.MONTH: 3660}
# "+08:00" sent unencoded in a query string arrives as " 08:00"; take it back rather than refuse it.
_UNENCODED_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


class PeriodBoundField(BoundedDateTimeField):
    """An ISO 8601 datetime; without an offset, or a date alone, it is Asia/Shanghai local time
    (a date means its midnight)."""

    default_error_messages = {
        "invalid": "Use an ISO 8601 date or datetime, e.g. 2026-11-01 or 2026-11-01T00:00:00+08:00.",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            value = _UNENCODED_PLUS.sub(r"\1+\2", value.strip())
            if len(value) == 10:
                day = _parse_date_or_none(value)
                if day is None:
                    self.fail("invalid")
                return local_midnight(day)
        return super().to_internal_value(value)

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            return value.replace(tzinfo=SHANGHAI)
        return super().enforce_timezone(value)


def _parse_date_or_none(value: str) -> dt.date | None:
    try:
        return parse_date(value)
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        return None


class _PeriodQuerySerializer(serializers.Serializer):
    period_from = PeriodBoundField(
        required=False, help_text="Start, inclusive. A date alone is Asia/Shanghai midnight."
    )
    period_to = PeriodBoundField(required=False, help_text="End, exclusive. A date alone is Asia/Shanghai midnight.")
    order = serializers.ChoiceField(
        choices=["asc", "desc"],
        default="asc",
        help_text="By time: asc (default) or desc.",
        error_messages={"invalid_choice": "Use asc or desc."},
    )

    def validate(self, attrs):
        start, end = attrs.get("period_from"), attrs.get("period_to")
        if start is not None and end is not None and end <= start:
            raise ValidationError({"period_to": ["period_to must be later than period_from."]})
        return attrs


class ReadingsQuerySerializer(_PeriodQuerySerializer):
    group_by = serializers.ChoiceField(
        choices=[g.value for g in (Grouping.HOUR, Grouping.DAY, Grouping.MONTH)],
        required=False,
        allow_blank=True,
        help_text="Sum per Asia/Shanghai hour, day or month; leave out for the raw intervals. "
        f"A period may span at most {MAX_PERIOD_DAYS[None]} days raw or by hour, "
        f"{MAX_PERIOD_DAYS[Grouping.DAY]} by day or month.",
        error_messages={"invalid_choice": "Use hour, day or month (or leave group_by out for raw intervals)."},
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        grouping = Grouping(attrs["group_by"]) if attrs.get("group_by") else None
        meter: Meter = self.context["meter"]
        # A missing bound means "as far as the meter's data go", within the longest period one request
        # may cover: without period_from, the latest ``limit`` days up to period_to (or removal, or now);
        # without period_to, ``limit`` days from period_from. Only two explicit bounds too far apart are refused.
        limit = MAX_PERIOD_DAYS[grouping]
        window = dt.timedelta(days=limit)
        meter_end = meter.removed_at or self.context["as_of"]
        start, end = attrs.get("period_from"), attrs.get("period_to")
        if start is None:
            end = end or meter_end
            start = max(meter.installed_at, end - window)
        elif end is None:
            end = max(start, min(meter_end, start + window))
        if end - start > window:
            field = "period_to" if "period_to" in attrs and "period_from" in attrs else "period_from"
            how = "by hour" if grouping == Grouping.HOUR else f"by {grouping}" if grouping else "of raw intervals"
            raise ValidationError({field: [f"A request {how} may span at most {limit} days; narrow the period."]})
        return {**attrs, "period_from": start, "period_to": end, "grouping": grouping}


class RegisterReadsQuerySerializer(_PeriodQuerySerializer):
    pass


class QualityField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=QUALITY_CODES, **kwargs)

    def to_representation(self, value):
        return quality_code(value) if isinstance(value, int) else value


class ConsumptionSerializer(serializers.Serializer):
    interval_start = serializers.DateTimeField(help_text="Start, Asia/Shanghai (+08:00).")
    interval_end = serializers.DateTimeField(help_text="End, exclusive.")
    consumption_kwh = serializers.DecimalField(
        max_digits=None,
        decimal_places=4,
        help_text="Primary-side kWh: measured kWh × the meter's multiplier (倍率), summed exactly, then to 0.0001.",
    )
    quality = QualityField(
        help_text="Raw: the interval's. Grouped: the worst in the group (estimated > edited > actual)."
    )
    intervals = serializers.IntegerField(required=False, help_text="Grouped results only: intervals with a reading.")
    estimated = serializers.IntegerField(required=False, help_text="Grouped results only: estimated intervals.")
    edited = serializers.IntegerField(required=False, help_text="Grouped results only: intervals edited by staff.")


class RegisterReadSerializer(serializers.ModelSerializer):
    quality = QualityField()

    class Meta:
        model = RegisterRead
        fields = ["read_at", "total", "sharp", "peak", "flat", "valley", "reactive", "quality"]


_BAD_PARAMETERS = OpenApiResponse(description="A parameter is invalid; `error.fields` names it.")
_NOT_FOUND = OpenApiResponse(description="No such meter among those the caller may read.")


def _readings_etag(*, request, meter: Meter, params: dict) -> str:
    """A strong ETag of a readings answer: the meter's readings version (bumped by every write of its
    readings, see billing.selectors.usage), its multiplier and grid, the resolved period (an open end
    is "now") and the query string. Costs one Redis round trip, no SQL."""
    (version,) = source_versions(READINGS_NAMESPACE, [meter.pk])
    resolved = sorted((k, str(v)) for k, v in params.items())
    text = f"{meter.pk}|{version}|{meter.multiplier}|{meter.interval_minutes}|{resolved}|{request.query_params.urlencode()}"
    return quote_etag(hashlib.sha256(text.encode()).hexdigest()[:32])


def _not_modified(request, etag: str) -> Response | None:
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        return Response(status=304, headers={"ETag": etag})
    return None


class MeterReadingsView(ListAPIView):
    serializer_class = ConsumptionSerializer
    permission_classes = [IsAuthenticated]  # which meters: billing.selectors.meters.meters_visible_to (else 404)
    filter_backends = []
    queryset = IntervalReading.objects.none()

    @extend_schema(
        summary="A meter's consumption: raw intervals or sums per hour/day/month",
        description="Consumption in primary-side kWh (measured × multiplier), ascending by time unless "
        "`order=desc`. Raw results are the meter's intervals; grouped results add `intervals` and the counts "
        "of `estimated` and `edited` ones. Customers reach the meters of their bound accounts only.",
        parameters=[ReadingsQuerySerializer],
        responses={200: ConsumptionSerializer(many=True), 400: _BAD_PARAMETERS, 404: _NOT_FOUND},
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    def list(self, request, meter_no: str):
        meter = access_meter(user=request.user, meter_no=meter_no, kind="intervals")
        query = ReadingsQuerySerializer(data=request.query_params, context={"meter": meter, "as_of": clock.now()})
        query.is_valid(raise_exception=True)
        params = query.validated_data
        etag = _readings_etag(request=request, meter=meter, params=params)
        if (unchanged := _not_modified(request, etag)) is not None:
            return unchanged
        descending = params["order"] == "desc"
        grouping: Grouping | None = params["grouping"]
        if grouping is None:
            readings = interval_readings(
                meter=meter, period_from=params["period_from"], period_to=params["period_to"], descending=descending
            )
            step = dt.timedelta(minutes=meter.interval_minutes)
            page = self.paginate_queryset(readings)
            assert page is not None  # DEFAULT_PAGINATION_CLASS pages every list
            items = [
                {
                    "interval_start": r.interval_start,
                    "interval_end": r.interval_start + step,
                    "consumption_kwh": round_kwh(r.kwh * meter.multiplier),
                    "quality": r.quality,
                }
                for r in page
            ]
        else:
            rows = consumption_by_period(
                meters=[meter],
                period_from=params["period_from"],
                period_to=params["period_to"],
                grouping=grouping,
                descending=descending,
            )
            items = []
            rows_page = self.paginate_queryset(rows)
            assert rows_page is not None  # DEFAULT_PAGINATION_CLASS pages every list
            for row in rows_page:
                period = as_consumption(row, grouping=grouping)
                items.append(
                    {
                        "interval_start": period.start,
                        "interval_end": period.end,
                        "consumption_kwh": period.kwh,
                        "quality": period.quality,
                        "intervals": period.intervals,
                        "estimated": period.estimated,
                        "edited": period.edited,
                    }
                )
        response = self.get_paginated_response(ConsumptionSerializer(items, many=True).data)
        response["ETag"] = etag
        return response


class MeterRegisterReadsView(ListAPIView):
    serializer_class = RegisterReadSerializer
    permission_classes = [IsAuthenticated]  # which meters: billing.selectors.meters.meters_visible_to (else 404)
    filter_backends = []
    queryset = RegisterRead.objects.none()

    @extend_schema(
        summary="A meter's cumulative register reads (示数)",
        description="Total and TOU registers (sharp/peak/flat/valley) as the meter shows them, in kWh, and the "
        "reactive register in kvarh (null where the meter has none); the "
        "energy between two reads is their difference × the meter's multiplier. Ascending by `read_at` "
        "unless `order=desc`.",
        parameters=[RegisterReadsQuerySerializer],
        responses={200: RegisterReadSerializer(many=True), 400: _BAD_PARAMETERS, 404: _NOT_FOUND},
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    def list(self, request, meter_no: str):
        meter = access_meter(user=request.user, meter_no=meter_no, kind="registers")
        query = RegisterReadsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        etag = _readings_etag(request=request, meter=meter, params=params)
        if (unchanged := _not_modified(request, etag)) is not None:
            return unchanged
        reads = register_reads(
            meter=meter,
            period_from=params.get("period_from"),
            period_to=params.get("period_to"),
            descending=params["order"] == "desc",
        )
        response = self.get_paginated_response(RegisterReadSerializer(self.paginate_queryset(reads), many=True).data)
        response["ETag"] = etag
        return response
