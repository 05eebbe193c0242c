"""``{% analytics_sections %}``: the row of links between the staff analytics pages (overview, load
forecasts, customer segments, line loss), each shown only to staff who may open it, the current one marked."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

register = template.Library()

# (URL name, label, the permission its view requires)
SECTIONS = [
    ("analytics_dashboard:index", _("Overview"), "analytics.view_dashboards"),
    ("analytics_forecasting:forecasts", _("Load forecasts"), "analytics.view_forecast"),
    ("analytics_segments:dashboard", _("Customer segments"), "analytics.view_segment"),
    ("analytics_lineloss:ranking", _("Line loss"), "analytics.view_arealossmonth"),
]


def section_links(*, user, current_namespace: str) -> list[dict]:
    return [
        {"label": str(label), "url": reverse(name), "current": name.split(":")[0] == current_namespace}
        for name, label, permission in SECTIONS
        if user.has_perm(permission)
    ]


@register.inclusion_tag("analytics/_sections.html", takes_context=True)
def analytics_sections(context) -> dict:
    request = context["request"]
    match = request.resolver_match
    return {"sections": section_links(user=request.user, current_namespace=match.namespace if match else "")}
