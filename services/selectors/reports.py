"""Reads for service-request reports: volumes, time-limit compliance and satisfaction, per type and area.
All aggregation happens in SQL."""

from __future__ import annotations

import datetime as dt

from django.db.models import Avg, Count, F, Q, QuerySet

from customers.models import TransformerArea
from services.models import RequestStep, ServiceRequest


def area_ids_in(*, area_id: int | None = None, feeder_id: int | None = None) -> list[int] | None:
    """The transformer areas a report is narrowed to: one area, a feeder's areas, or None for all."""
    if area_id:
        return [area_id]
    if feeder_id:
        return list(TransformerArea.objects.filter(feeder_id=feeder_id).values_list("pk", flat=True))
    return None


def _requests(*, start: dt.datetime, end: dt.datetime, area_ids: list[int] | None = None) -> QuerySet[ServiceRequest]:
    queryset = ServiceRequest.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
    if area_ids:
        queryset = queryset.filter(area_id__in=area_ids)
    return queryset


def request_volumes(*, start: dt.datetime, end: dt.datetime, area_ids: list[int] | None = None) -> list[dict]:
    """Per type: submitted, open, completed, rejected, cancelled in the period."""
    rows = (
        _requests(start=start, end=end, area_ids=area_ids)
        .values(key=F("service_type__code"), label=F("service_type__name"))
        .annotate(
            submitted=Count("id"),
            open=Count("id", filter=~Q(status__in=["completed", "rejected", "cancelled"])),
            completed=Count("id", filter=Q(status="completed")),
            rejected=Count("id", filter=Q(status="rejected")),
            cancelled=Count("id", filter=Q(status="cancelled")),
        )
        .order_by("-submitted", "key")
    )
    return [dict(row) for row in rows]


def sla_compliance(*, start: dt.datetime, end: dt.datetime, area_ids: list[int] | None = None) -> list[dict]:
    """Per type: steps with a time limit finished in the period, how many on time, the share on time;
    and steps still open past their due time."""
    steps = RequestStep.objects.filter(due_at__isnull=False, finished_at__gte=start, finished_at__lt=end)
    if area_ids:
        steps = steps.filter(request__area_id__in=area_ids)
    rows = list(
        steps.values(key=F("request__service_type__code"), label=F("request__service_type__name"))
        # Not annotated as on_time: django-stubs would take it for RequestStep.on_time (a property).
        .annotate(finished=Count("id"), on_time_steps=Count("id", filter=Q(finished_at__lte=F("due_at"))))
        .order_by("key")
    )
    return [
        {
            "key": row["key"],
            "label": row["label"],
            "finished": row["finished"],
            "on_time": row["on_time_steps"],
            "on_time_rate": round(row["on_time_steps"] / row["finished"], 4) if row["finished"] else None,
        }
        for row in rows
    ]


def satisfaction(
    *, start: dt.datetime, end: dt.datetime, by: str = "type", area_ids: list[int] | None = None
) -> list[dict]:
    """Average rating (1–5), ratings given, and share of completed requests rated, per type or per area."""
    group = {"type": ("service_type__code", "service_type__name"), "area": ("area__code", "area__name")}[by]
    rows = (
        _requests(start=start, end=end, area_ids=area_ids)
        .filter(status="completed")
        .values(key=F(group[0]), label=F(group[1]))
        .annotate(completed=Count("id"), rated=Count("rating"), average=Avg("rating"))
        .order_by("key")
    )
    return [
        {
            **row,
            "average": round(float(row["average"]), 2) if row["average"] is not None else None,
            "rated_share": round(row["rated"] / row["completed"], 4) if row["completed"] else None,
        }
        for row in rows
    ]
