"""Warn the staff who keep the working calendar when a year that matters has no holiday schedule.

Without one, every weekday but the fixed-date holidays counts as working, so time limits and due
dates in that year come out too early (a request due "in 1 working day" on 31 December would be due
on New Year's Day). From 1 November the next year counts too: the State Council publishes it then.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from core.calendar import years_without_schedule
from customers.models import NotificationPreference
from services.actions.notifications import notify

CALENDAR_PERMISSION = "core.change_calendarday"
PERMISSIONS_BACKEND = "security.backends.PhoneOrUsernameBackend"  # the backend holding group permissions


def warn_missing_calendar(*, today: dt.date) -> list[int]:
    """Notify every active staff member who may edit the calendar, once a week per missing year;
    returns the years warned about."""
    years = years_without_schedule(today=today)
    if not years:
        return []
    keepers = [
        user
        for user in get_user_model().objects.with_perm(
            CALENDAR_PERMISSION, is_active=True, include_superusers=True, backend=PERMISSIONS_BACKEND
        )
        if user.is_staff
    ]
    iso = today.isocalendar()
    for year in years:
        notify(
            users=keepers,
            # Time limits are what a missing schedule breaks: staff get it with their service-request alerts.
            kind=NotificationPreference.Kind.SERVICE_REQUEST,
            event_key=f"calendar-missing:{year}:{iso.year}-W{iso.week:02d}",
            title=_("Holiday schedule for %(year)s missing") % {"year": year},
            body=_(
                "No holiday and adjusted-working-day schedule is known for %(year)s. Until it is entered, "
                "time limits and due dates in %(year)s count only weekends and the fixed holidays "
                "(1 Jan, 1 May, 1–3 Oct). Enter the State Council's schedule in the working calendar."
            )
            % {"year": year},
            link="/admin/core/calendarday/",
        )
    return years
