"""Default forecast scopes: the system, every feeder, area and customer category, and the large accounts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from analytics.models import ForecastScope
from customers.models import Account, Feeder, TransformerArea


@dataclass
class ScopeCounts:
    created: int = 0
    existing: int = 0


def ensure_default_scopes() -> ScopeCounts:
    """The system, every feeder, every transformer area, every customer category and every active account
    at or above FORECAST_ACCOUNT_MIN_KVA contracted capacity get a scope at FORECAST_RESOLUTION_MINUTES
    (existing scopes, active or not, are left as they are). One read of what exists and one bulk insert
    of what is missing: a 10,000-customer grid has over 1,300 scopes."""
    minutes = settings.FORECAST_RESOLUTION_MINUTES
    kind = ForecastScope.Kind

    def scope(*, name: str, **target) -> ForecastScope:
        return ForecastScope(resolution_minutes=minutes, name=name[:120], **target)

    wanted = [scope(kind=kind.SYSTEM, name="全系统 / System")]
    wanted += [
        scope(kind=kind.FEEDER, feeder_id=pk, name=f"馈线 {code} {name}")
        for pk, code, name in Feeder.objects.order_by("code").values_list("pk", "code", "name")
    ]
    wanted += [
        scope(kind=kind.AREA, area_id=pk, name=f"台区 {code} {name}")
        for pk, code, name in TransformerArea.objects.order_by("code").values_list("pk", "code", "name")
    ]
    wanted += [scope(kind=kind.CATEGORY, category=value, name=f"类别 {value}") for value in Account.Category.values]
    large = Account.objects.filter(
        status=Account.Status.ACTIVE, contracted_kva__gte=Decimal(str(settings.FORECAST_ACCOUNT_MIN_KVA))
    ).order_by("number")
    wanted += [
        scope(kind=kind.ACCOUNT, account_id=pk, name=f"户号 {number}")
        for pk, number in large.values_list("pk", "number")
    ]

    existing = set(
        ForecastScope.objects.filter(resolution_minutes=minutes).values_list(
            "kind", "feeder_id", "area_id", "category", "account_id"
        )
    )
    missing = [s for s in wanted if (s.kind, s.feeder_id, s.area_id, s.category, s.account_id) not in existing]
    ForecastScope.objects.bulk_create(missing, batch_size=2000)
    return ScopeCounts(created=len(missing), existing=len(wanted) - len(missing))
