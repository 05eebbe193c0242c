"""A year with no holiday schedule (the calendar package knows none for 2027 at the time of writing,
and staff have entered none): due dates in it are marked provisional on the customer's pages, staff
see a warning on the request queue and the calendar, and the calendar's keepers are told once a
week from 1 November of the year before."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from core import clock
from core.calendar import Coverage, add_working_days, year_coverage, years_without_schedule
from core.models import CalendarDay
from security import roles
from services.actions.calendar_watch import warn_missing_calendar
from services.models import Notification
from tests.factories import SHANGHAI, make_portal_user, make_staff
from tests.services.test_request_pages import BACKEND, file_new_connection

pytestmark = pytest.mark.django_db

NEW_YEARS_EVE = dt.datetime(2026, 12, 31, 10, tzinfo=SHANGHAI)  # a Thursday


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


def test_2027_rests_on_the_fixed_holidays_only_until_staff_enter_it():
    assert year_coverage(2026) is Coverage.PACKAGE
    assert year_coverage(2027) is Coverage.NONE
    # 1 working day after 31 Dec 2026: 1 Jan is a fixed holiday, 2–3 Jan a weekend → Monday 4 Jan.
    assert add_working_days(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 4)
    assert years_without_schedule(today=dt.date(2026, 10, 31)) == []
    assert years_without_schedule(today=dt.date(2026, 11, 1)) == [2027]
    CalendarDay.objects.create(day=dt.date(2027, 2, 6), is_working=False, name="春节")
    assert years_without_schedule(today=dt.date(2026, 11, 1)) == []


def test_a_due_date_in_an_unpublished_year_is_marked_provisional(client):
    customer = make_portal_user()
    service_request = file_new_connection(applicant=customer, as_of=NEW_YEARS_EVE)
    client.force_login(customer, backend=BACKEND)

    html = client.get(reverse("service_hall:list")).content.decode()
    item = html.split(f'data-request="{service_request.number}"', 1)[1].split("</li>", 1)[0]
    due = re.search(r'data-field="next-due">(.*?)</dd>', item, re.S).group(1)
    assert due.startswith("2027年1月4日") and 'data-field="due-provisional"' in due

    CalendarDay.objects.create(day=dt.date(2027, 2, 6), is_working=False, name="春节")
    html = client.get(reverse("service_hall:list")).content.decode()
    assert 'data-field="due-provisional"' not in html


def test_staff_see_the_warning_on_the_request_queue_and_the_calendar(client, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 11, 20, 9, tzinfo=SHANGHAI))
    client.force_login(make_staff(role=roles.SYSTEM_ADMINISTRATOR))
    for page in ("/admin/services/servicerequest/", "/admin/core/calendarday/"):
        html = client.get(page).content.decode()
        warning = re.search(r'<li class="warning">(.*?)</li>', html, re.S)
        assert warning and "2027" in warning.group(1), page

    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 10, 20, 9, tzinfo=SHANGHAI))
    assert '<li class="warning">' not in client.get("/admin/services/servicerequest/").content.decode()


def test_keepers_are_told_once_a_week_and_nobody_else():
    keeper = make_staff(role=roles.SYSTEM_ADMINISTRATOR, username="calendar_keeper")
    agent = make_staff(role=roles.CUSTOMER_SERVICE_AGENT, username="agent_li")  # may read, not edit
    customer = make_portal_user()

    assert warn_missing_calendar(today=dt.date(2026, 10, 30)) == []
    assert warn_missing_calendar(today=dt.date(2026, 11, 2)) == [2027]  # Monday of ISO week 45
    assert warn_missing_calendar(today=dt.date(2026, 11, 6)) == [2027]  # same week: no second message
    assert warn_missing_calendar(today=dt.date(2026, 11, 9)) == [2027]  # next week: a reminder

    received = Notification.objects.filter(title__contains="2027")
    assert sorted(received.values_list("user__username", "event_key")) == [
        ("calendar_keeper", "calendar-missing:2027:2026-W45"),
        ("calendar_keeper", "calendar-missing:2027:2026-W46"),
    ]
    assert not Notification.objects.filter(user__in=[agent, customer]).exists()
    assert keeper.has_perm("core.change_calendarday") and not agent.has_perm("core.change_calendarday")
