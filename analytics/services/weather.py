"""Weather ingestion: temperatures (observed, and forecasts with their issue time) per transformer area,
from CSV files and the API, validated row by row and upserted idempotently by (area, moment, kind)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction

from analytics.models import WeatherObservation
from core.time import InputDateError, parse_input_datetime
from customers.models import TransformerArea


@dataclass(frozen=True)
class WeatherRow:
    area_id: int
    at: dt.datetime
    kind: str
    temperature_c: Decimal
    issued_at: dt.datetime | None


@dataclass(frozen=True)
class RowError:
    line: int  # CSV line number (header = 1) or 0-based index in a JSON list
    message: str


@dataclass
class WeatherResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)


WEATHER_FIELDS = ("area", "at", "temperature_c", "kind", "issued_at")


def _parse_moment(text: str, *, name: str) -> dt.datetime:
    # Naive times are Asia/Shanghai wall time; years and UTC offsets are range-checked (an offset like
    # -19:32 would be a PostgreSQL DataError).
    try:
        return parse_input_datetime(text)
    except InputDateError as exc:
        raise ValueError(f"{name}: {text[:40]!r}: {exc}") from None  # weather rows hold no personal data


def parse_weather_rows(records: list[dict], *, first_line: int) -> tuple[list[WeatherRow], list[RowError]]:
    """Validate raw records (CSV rows or JSON objects) into WeatherRows; each bad record becomes a RowError
    numbered from ``first_line``. The area is given by its code."""
    codes = {str(r.get("area") or "").strip() for r in records}
    areas = dict(TransformerArea.objects.filter(code__in=codes).values_list("code", "pk"))
    rows, errors, seen = [], [], set()
    for line, record in enumerate(records, start=first_line):
        try:
            if not isinstance(record, dict):
                raise ValueError("a row must be an object with area, at, temperature_c[, kind, issued_at]")
            code = str(record.get("area") or "").strip()
            if not code:
                raise ValueError("area: required")
            if code not in areas:
                raise ValueError(f"area: no transformer area with code {code!r}")
            if not str(record.get("at") or "").strip():
                raise ValueError("at: required")
            at = _parse_moment(str(record["at"]), name="at")
            try:
                temperature = Decimal(str(record.get("temperature_c", "")).strip())
            except InvalidOperation:
                raise ValueError(f"temperature_c: {record.get('temperature_c')!r} is not a number") from None
            if not temperature.is_finite() or not Decimal(-60) <= temperature <= Decimal(60):
                raise ValueError(f"temperature_c: {temperature} is outside -60…60 °C")
            kind = str(record.get("kind") or WeatherObservation.Kind.OBSERVED).strip().lower()
            if kind not in WeatherObservation.Kind.values:
                raise ValueError(f"kind: {kind!r} is not one of {', '.join(WeatherObservation.Kind.values)}")
            issued_text = str(record.get("issued_at") or "").strip()
            issued_at = _parse_moment(issued_text, name="issued_at") if issued_text else None
            if kind == WeatherObservation.Kind.FORECAST and issued_at is None:
                raise ValueError("issued_at: required for a forecast")
            if kind == WeatherObservation.Kind.OBSERVED and issued_at is not None:
                raise ValueError("issued_at: only forecasts have one")
            key = (areas[code], at, kind)
            if key in seen:
                raise ValueError(f"duplicate of an earlier row for {code} at {at.isoformat()} ({kind})")
            seen.add(key)
            rows.append(
                WeatherRow(
                    area_id=areas[code],
                    at=at,
                    kind=kind,
                    temperature_c=temperature.quantize(Decimal("0.01")),
                    issued_at=issued_at,
                )
            )
        except ValueError as exc:
            errors.append(RowError(line=line, message=str(exc)))
    return rows, errors


def upsert_weather(*, rows: list[WeatherRow]) -> WeatherResult:
    """Insert or update weather rows by (area, at, kind). Re-sending the same rows changes nothing; a
    forecast replaces a stored one only when it was issued at the same time or later."""
    result = WeatherResult()
    for offset in range(0, len(rows), 5000):
        chunk = rows[offset : offset + 5000]
        existing = {
            (w.area_id, w.at, w.kind): w
            for w in WeatherObservation.objects.filter(
                area_id__in={r.area_id for r in chunk},
                at__gte=min(r.at for r in chunk),
                at__lte=max(r.at for r in chunk),
                kind__in={r.kind for r in chunk},
            )
        }
        to_create, to_update = [], []
        for row in chunk:
            stored = existing.get((row.area_id, row.at, row.kind))
            if stored is None:
                to_create.append(WeatherObservation(**row.__dict__))
            elif stored.temperature_c == row.temperature_c and stored.issued_at == row.issued_at:
                result.unchanged += 1
            elif row.issued_at is not None and stored.issued_at is not None and row.issued_at < stored.issued_at:
                result.unchanged += 1  # an older forecast never overwrites a newer one
            else:
                stored.temperature_c, stored.issued_at = row.temperature_c, row.issued_at
                to_update.append(stored)
        with transaction.atomic():
            WeatherObservation.objects.bulk_create(to_create)
            WeatherObservation.objects.bulk_update(to_update, ["temperature_c", "issued_at"])
        result.created += len(to_create)
        result.updated += len(to_update)
    return result


def ingest_weather(*, records: list[dict], first_line: int, all_or_nothing: bool) -> WeatherResult:
    """Validate ``records`` (CSV rows or JSON objects, numbered from ``first_line``) and upsert the good
    ones; the bad ones are in ``rejected``. With ``all_or_nothing`` a batch with any bad row stores
    nothing (the API: the integrator fixes the listed rows and sends the batch again)."""
    rows, errors = parse_weather_rows(records, first_line=first_line)
    if errors and all_or_nothing:
        return WeatherResult(rejected=errors)
    result = upsert_weather(rows=rows)
    result.rejected = errors
    return result
