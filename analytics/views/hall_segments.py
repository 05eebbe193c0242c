"""Business-hall page "how my usage compares with similar households": this month's kWh so far for the
switcher's current account against the quartiles of accounts in its segment and category, and its
typical day against the segment's centroid. Others appear only as aggregates, and not at all for a
group below ``MIN_GROUP`` accounts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from analytics.models.segments import Shape
from analytics.selectors.segments import segment_comparison
from core import clock
from customers.access import current_account_for_request, customer_required


def hall_today():
    """The customer's calendar day (Asia/Shanghai): which month is "this month"."""
    return clock.today()


@customer_required
def compare(request: HttpRequest) -> HttpResponse:
    account = current_account_for_request(request)
    if account is None:
        return render(request, "analytics/segments/hall_compare.html", {"account": None})
    comparison = segment_comparison(account=account, today=hall_today())
    context = {"account": account, "comparison": comparison}
    membership = comparison.membership
    if membership is not None:
        segment = membership.segment
        slots = len(segment.centroid)
        context["shape_label"] = dict(Shape.choices).get(segment.shape, segment.shape)
        profile_rows = [
            {"hour": f"{slot * 24 // slots:02d}:00", "mine": mine, "typical": typical}
            for slot, (mine, typical) in enumerate(zip(membership.profile, segment.centroid, strict=True))
        ]
        context["profile_rows"] = profile_rows
        context["chart"] = {
            "labels": [row["hour"] for row in profile_rows],
            "datasets": [
                {"label": _("My typical day"), "values": membership.profile, "emphasis": True},
                {"label": _("Typical day of similar accounts"), "values": segment.centroid, "dashed": True},
            ],
            "yTitle": _("Share of the average hour (1 = average)"),
            "xTitle": _("Hour of day"),
        }
    return render(request, "analytics/segments/hall_compare.html", context)
