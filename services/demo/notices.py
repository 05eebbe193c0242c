"""The services app's part of ``seed_demo`` for notices: an upcoming planned outage on the demo
customer's transformer area (so the dashboard panel and the inbox have something to show) and one
already restored, both published and restored through the real services."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from core.time import local_datetime
from customers.demo import DEMO_ADMIN_USERNAME, DEMO_CUSTOMER_USERNAME
from customers.models import PortalBinding
from services.actions.outages import publish_outage, restore_outage
from services.models import OutageNotice


def seed_notices_demo(*, as_of: dt.date, **_ignored) -> str:
    binding = (
        PortalBinding.objects.filter(user__username=DEMO_CUSTOMER_USERNAME)
        .select_related("account__area")
        .order_by("account__number")
        .first()
    )
    actor = get_user_model().objects.filter(username=DEMO_ADMIN_USERNAME).first()
    if binding is None or actor is None:
        return "Outage notices: no demo customer or admin, none seeded."
    area = binding.account.area
    morning = local_datetime(as_of, dt.time(8))
    three_days_ago = morning - dt.timedelta(days=3)
    upcoming = OutageNotice.objects.create(
        kind=OutageNotice.Kind.PLANNED,
        title=f"{area.name}配电变压器检修",
        reason="配电变压器例行检修及低压线路消缺",
        starts_at=morning + dt.timedelta(days=2),
        expected_end=morning + dt.timedelta(days=2, hours=6),
        created_by=actor,
    )
    past = OutageNotice.objects.create(
        kind=OutageNotice.Kind.UNPLANNED,
        title=f"{area.name}低压线路故障",
        reason="低压电缆接头故障抢修",
        starts_at=three_days_ago + dt.timedelta(hours=6),
        expected_end=three_days_ago + dt.timedelta(hours=9),
        created_by=actor,
    )
    notified = 0
    for notice in (upcoming, past):
        notice.areas.set([area])
        notified += publish_outage(actor=actor, notice=notice, as_of=morning - dt.timedelta(days=4))
    notified += restore_outage(actor=actor, notice=past, as_of=three_days_ago + dt.timedelta(hours=8))
    return f"Outage notices: 1 upcoming and 1 restored on {area.code}, {notified} notification(s) sent."
