#!/usr/bin/env python
"""Time the staff overview dashboard and the tariff advice on a database seeded by ``seed_demo``.

    DATABASE_URL=postgres://…/mp_dash SECRET_KEY=… FIELD_ENCRYPTION_KEYS=… BLIND_INDEX_KEY=… \\
        .venv/bin/python bench/dashboard.py [--repeat 3]

Nothing is written: it reads the database named by DATABASE_URL (the same keys as when it was seeded,
since accounts are loaded), with the local settings. It prints, best of ``--repeat``:

* each dashboard selector (sales, collection, arrears by category, top arrears areas) over the twelve
  bill months before the latest bill month, arrears as of the day after it ends + 30 days;
* the whole page for the demo analyst through Django's test client (SQL + templates + chart payloads);
* ``tariff_advice`` for each of the demo customer's accounts;
* the reference: the arrears by category with what each bill still owes as a correlated subquery per
  bill (the straightforward ORM way), best of the same repeats.

The last line is the ratio reference ÷ arrears_by_category.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

from _common import cpu_model

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def best(repeat: int, call) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return min(times), result


def reference_arrears(filters):
    """Arrears by category with a correlated subquery per bill for what it still owes."""
    from decimal import Decimal

    from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, Sum, Value
    from django.db.models.functions import Coalesce

    from analytics.selectors.dashboard import _collected, live_bills

    money = DecimalField(max_digits=16, decimal_places=2)
    paid = Subquery(
        _collected(filters).filter(bill=OuterRef("pk")).values("bill").annotate(t=Sum("amount")).values("t"),
        output_field=money,
    )
    day = dt.timedelta(days=1)
    as_of = filters.as_of
    bounds = {
        "0_30": Q(due_date__gte=as_of - 30 * day),
        "31_60": Q(due_date__lt=as_of - 30 * day, due_date__gte=as_of - 60 * day),
        "61_90": Q(due_date__lt=as_of - 60 * day, due_date__gte=as_of - 90 * day),
        "over_90": Q(due_date__lt=as_of - 90 * day),
    }
    rows = (
        live_bills(filters=filters)
        .filter(due_date__lt=as_of)
        .annotate(owed=F("amount") - Coalesce(paid, Value(Decimal(0)), output_field=money))
        .filter(owed__gt=0)
        .values(category=F("account__category"))
        .annotate(
            **{k: Coalesce(Sum("owed", filter=q), Value(Decimal(0)), output_field=money) for k, q in bounds.items()},
            total=Sum("owed"),
            accounts=Count("account", distinct=True),
        )
        .order_by("category")
    )
    return list(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing_portal.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "1")  # static files served without collectstatic
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db.models import Max
    from django.test import Client
    from django.utils import timezone

    from analytics.selectors import dashboard as selectors
    from analytics.services.tariffadvice import tariff_advice
    from billing.models import Bill
    from core.months import add_months
    from customers.access import accounts_visible_to

    latest = Bill.objects.aggregate(latest=Max("period_start"))["latest"]
    if latest is None:
        sys.exit("no bills: run manage.py seed_demo first")
    filters = selectors.DashboardFilters(
        month_from=add_months(latest, -11), month_to=latest, as_of=add_months(latest, 1) + dt.timedelta(days=30)
    )
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs; bills: {Bill.objects.count():,}; scope: {filters}")
    for name in ("sales_by_month_and_category", "collection_by_month", "arrears_by_category", "arrears_by_area"):
        seconds, rows = best(args.repeat, lambda name=name: getattr(selectors, name)(filters=filters))
        print(f"{name:30} {seconds * 1000:8.1f} ms  ({len(rows)} rows)")
    fast, _ = best(args.repeat, lambda: selectors.arrears_by_category(filters=filters))

    users = get_user_model().objects
    client = Client()
    client.force_login(users.get(username="analyst"))
    query = {"month_from": f"{filters.month_from:%Y-%m}", "month_to": f"{filters.month_to:%Y-%m}"}
    seconds, response = best(args.repeat, lambda: client.get("/staff/analytics/", query, HTTP_HOST="127.0.0.1"))
    print(
        f"{'dashboard page':30} {seconds * 1000:8.1f} ms  (HTTP {response.status_code}, {len(response.content):,} bytes)"
    )
    for account in accounts_visible_to(user=users.get(username="c_demo")):
        seconds, advice = best(
            args.repeat, lambda account=account: tariff_advice(account=account, as_of=timezone.now())
        )
        print(
            f"{'tariff_advice ' + account.category:30} {seconds * 1000:8.1f} ms  "
            f"({len(advice.months_used)} months, {len(advice.options)} tariffs, {advice.resolution_minutes}-min rows)"
        )
    reference, _ = best(args.repeat, lambda: reference_arrears(filters))
    print(f"{'reference: arrears, subquery':30} {reference * 1000:8.1f} ms")
    print(f"ratio reference / arrears_by_category: {reference / fast:.1f}x")


if __name__ == "__main__":
    main()
