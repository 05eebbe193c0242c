"""Template helpers for the business hall: icons, navigation state and accessible form fields."""

from __future__ import annotations

import datetime as dt
import math

from django import template
from django.forms import BoundField
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from customers.access import is_portal_customer

register = template.Library()


@register.simple_tag
def icon(name: str, css_class: str = "icon") -> str:
    """An inline reference to one symbol of static/img/icons.svg (decorative: hidden from screen readers)."""
    return format_html(
        '<svg class="{}" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>',
        css_class,
        static("img/icons.svg"),
        name,
    )


@register.simple_tag(takes_context=True)
def aria_current(context, *url_names: str) -> str:
    """' aria-current="page"' when the current view is one of ``url_names`` (e.g. "hall:accounts")."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name in url_names:
        return mark_safe(' aria-current="page"')
    return ""


@register.filter
def minutes(value: dt.timedelta | None) -> int:
    """Whole minutes of a duration, rounded up (a 30-second cool-off reads "1 minute", not "0")."""
    if not value:
        return 0
    return max(1, math.ceil(value.total_seconds() / 60))


@register.filter
def portal_customer(user) -> bool:
    return is_portal_customer(user)


@register.inclusion_tag("customers/_field.html")
def field(bound_field: BoundField, css_class: str = "") -> dict:
    """Label, input, help text and errors, wired together with aria-describedby / aria-invalid."""
    widget_id = bound_field.auto_id
    described_by = []
    if bound_field.help_text:
        described_by.append(f"{widget_id}_help")
    if bound_field.errors:
        described_by.append(f"{widget_id}_errors")
    attrs: dict[str, str | bool] = {"class": "input"}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
    return {
        "field": bound_field,
        "widget": bound_field.as_widget(attrs=attrs),
        "widget_id": widget_id,
        "css_class": css_class,
    }
