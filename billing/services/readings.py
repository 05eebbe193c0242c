"""Staff corrections of interval readings (VEE's "editing")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from billing.models import IntervalReading, Meter, Quality, ReadingEdit
from billing.selectors.usage import READINGS_NAMESPACE
from billing.services.completeness import refresh_completeness
from billing.services.partitions import ensure_interval_partitions
from core.cache import bump_source_versions
from core.money import round_kwh
from core.time import local_date
from security.models import AuditEvent
from security.services.audit import record_event


def _clean_kwh(value) -> Decimal:
    try:
        kwh = round_kwh(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        raise ValidationError({"kwh": "Enter a number of kWh, e.g. 0.25."}) from None
    if not kwh.is_finite() or kwh < 0 or kwh >= Decimal("1e8"):
        raise ValidationError({"kwh": "kWh must be between 0 and 99,999,999.9999."})
    return kwh


def edit_interval_reading(
    *,
    actor,
    meter: Meter,
    interval_start: dt.datetime,
    kwh,
    reason: str,
    as_of: dt.datetime,
    request: HttpRequest | None = None,
) -> ReadingEdit:
    """Set one interval's value as EDITED, with a mandatory reason, recorded and audited. Ingestion
    never overwrites an EDITED reading afterwards."""
    if not actor.has_perm("billing.add_readingedit"):
        raise PermissionDenied("You do not have permission to edit meter readings.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "A reason is required for every edit."})
    new_kwh = _clean_kwh(kwh)
    step = dt.timedelta(minutes=meter.interval_minutes)
    if (interval_start - dt.datetime(2000, 1, 1, tzinfo=dt.UTC)) % step:
        raise ValidationError({"interval_start": f"Not on the meter's {meter.interval_minutes}-minute grid."})
    if interval_start < meter.installed_at or (meter.removed_at and interval_start >= meter.removed_at):
        raise ValidationError({"interval_start": "The meter was not installed at that time."})
    if interval_start + step > as_of:
        raise ValidationError({"interval_start": "That interval has not ended yet."})
    ensure_interval_partitions(months=[local_date(interval_start)])
    with transaction.atomic():
        existing = (
            IntervalReading.objects.select_for_update().filter(meter=meter, interval_start=interval_start).first()
        )
        old_kwh, old_quality = (existing.kwh, existing.quality) if existing else (None, None)
        if existing:
            IntervalReading.objects.filter(meter=meter, interval_start=interval_start).update(
                kwh=new_kwh, quality=Quality.EDITED, batch_id=None
            )
        else:
            IntervalReading.objects.create(
                meter=meter, interval_start=interval_start, kwh=new_kwh, quality=Quality.EDITED
            )
        bump_source_versions(READINGS_NAMESPACE, [meter.pk])
        edit = ReadingEdit.objects.create(
            meter=meter,
            interval_start=interval_start,
            old_kwh=old_kwh,
            new_kwh=new_kwh,
            old_quality=old_quality,
            reason=reason,
            edited_by=actor,
        )
        record_event(
            action=AuditEvent.Action.UPDATE,
            actor=actor,
            object_type="billing.intervalreading",
            object_id=f"{meter.meter_no}@{interval_start.isoformat()}",
            request=request,
            details={
                "old_kwh": str(old_kwh) if old_kwh is not None else None,
                "new_kwh": str(new_kwh),
                "reading_edit": edit.pk,
            },
        )
    refresh_completeness(meter_days=[(meter.pk, local_date(interval_start))], as_of=as_of)
    return edit
