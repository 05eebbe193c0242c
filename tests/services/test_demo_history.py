"""The demo's year of service-request history (services.demo.history): the staff dashboard's
request, time-limit and satisfaction panels have months of real workflow data to show."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from analytics.forms.dashboard import DashboardFilterForm
from services import catalogue
from services.demo.history import HISTORY_USERNAME_PREFIX
from services.models import NotificationDelivery, ServiceRequest
from services.views.dashboard import compliance_table, satisfaction_table, volume_table
from tests.module_data import kept_for_module
from tests.project.zh_hans_pages import (  # noqa: F401 — collected here: they read this module's seeded demo
    test_admin_console_and_staff_pages_show_chinese_only,
    test_business_hall_pages_show_chinese_only,
)

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 11, 24)


def _seed() -> None:
    call_command("seed_demo", "--customers", "30", "--curves", "0", "--as-of", AS_OF.isoformat(), stdout=io.StringIO())


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> Iterator[None]:
    yield from kept_for_module(django_db_blocker, _seed)


def test_history_fills_the_default_dashboard_period(seeded):
    filters = DashboardFilterForm({}).filters(today=AS_OF)  # December 2025 … October 2026
    history = ServiceRequest.objects.filter(applicant__username__startswith=HISTORY_USERNAME_PREFIX)
    submitted_months = {moment.strftime("%Y-%m") for moment in history.values_list("submitted_at", flat=True)}
    # Twelve calendar months from November 2025 up to three weeks before the seed day (3 November 2026).
    assert len(submitted_months) == 13
    assert min(submitted_months) == "2025-11"
    assert max(history.values_list("submitted_at", flat=True)).date() <= AS_OF - dt.timedelta(days=21)
    # The past is finished: completed, rejected or cancelled, nothing left open in the queues.
    assert set(history.values_list("status", flat=True)) <= {catalogue.COMPLETED, "rejected", "cancelled"}

    volumes = volume_table(filters).rows
    assert sum(row["submitted"] for row in volumes) >= 60
    compliance = compliance_table(filters).rows
    finished = sum(row["finished"] for row in compliance)
    on_time = sum(row["on_time"] for row in compliance)
    # Mostly on time, some late: a compliance panel worth reading.
    assert 0.8 < on_time / finished < 1
    by_area = satisfaction_table(filters, by="area").rows
    assert len(by_area) >= 2
    assert all(1 <= float(row["average"]) <= 5 for row in by_area)


def test_history_customers_cannot_log_in_and_are_sent_nothing(seeded):
    users = get_user_model().objects.filter(username__startswith=HISTORY_USERNAME_PREFIX)
    assert users.count() == 30
    assert not any(user.has_usable_password() for user in users)
    assert not NotificationDelivery.objects.filter(notification__user__in=users).exists()
