"""Service-request reports: volumes, time-limit compliance and satisfaction per type and area."""

from __future__ import annotations

import datetime as dt

import pytest

from services import catalogue
from services.actions.requests import rate_request, transition_request
from services.selectors.reports import request_volumes, satisfaction, sla_compliance
from tests.factories import SHANGHAI, make_staff
from tests.services.request_helpers import new_request, place_at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    """Messages are asserted in the source language (the UI defaults to Chinese)."""
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


START = dt.datetime(2026, 11, 1, tzinfo=SHANGHAI)
END = dt.datetime(2026, 12, 1, tzinfo=SHANGHAI)


def _answer(service_request, *, at: dt.datetime, rating: int | None):
    agent = make_staff(role=catalogue.CSA)
    place_at(service_request, "answering", at=dt.datetime(2026, 11, 16, 9, tzinfo=SHANGHAI))  # due by Tue 17 Nov
    transition_request(
        actor=agent, service_request_id=service_request.pk, action="advance", as_of=at, recorded={"answer": "已答复"}
    )
    if rating is not None:
        rate_request(
            user=service_request.applicant, service_request_id=service_request.pk, rating=rating, comment="", as_of=at
        )


def test_volumes_compliance_and_satisfaction():
    on_time = new_request(code="consultation", as_of=dt.datetime(2026, 11, 16, 8, tzinfo=SHANGHAI))
    late = new_request(code="consultation", as_of=dt.datetime(2026, 11, 16, 8, tzinfo=SHANGHAI))
    unrated = new_request(code="consultation", as_of=dt.datetime(2026, 11, 16, 8, tzinfo=SHANGHAI))
    _answer(on_time, at=dt.datetime(2026, 11, 17, 15, tzinfo=SHANGHAI), rating=5)
    _answer(late, at=dt.datetime(2026, 11, 18, 9, tzinfo=SHANGHAI), rating=2)
    _answer(unrated, at=dt.datetime(2026, 11, 17, 10, tzinfo=SHANGHAI), rating=None)
    new_request(code="meter_check", as_of=dt.datetime(2026, 11, 20, tzinfo=SHANGHAI))  # still open
    new_request(code="meter_check", as_of=dt.datetime(2026, 10, 20, tzinfo=SHANGHAI))  # outside the period

    volumes = {row["key"]: row for row in request_volumes(start=START, end=END)}
    assert (volumes["consultation"]["submitted"], volumes["consultation"]["completed"]) == (3, 3)
    assert (volumes["meter_check"]["submitted"], volumes["meter_check"]["open"]) == (1, 1)

    compliance = {row["key"]: row for row in sla_compliance(start=START, end=END)}
    # Three "answering" steps with a limit finished in November; the one finished on 18 Nov was late.
    # (place_at closed the "submitted" steps without a handler at 16 Nov 09:00, before their due time: on time.)
    assert compliance["consultation"]["finished"] == 6
    assert compliance["consultation"]["on_time"] == 5
    assert compliance["consultation"]["on_time_rate"] == round(5 / 6, 4)

    by_type = {row["key"]: row for row in satisfaction(start=START, end=END)}
    # Ratings 5 and 2 → average 3.5; 2 of 3 completed requests rated.
    assert by_type["consultation"]["average"] == 3.5
    assert by_type["consultation"]["rated_share"] == round(2 / 3, 4)
    by_area = satisfaction(start=START, end=END, by="area")
    # Each request was filed in its own area: one area per rating, one unrated.
    assert sorted((row["average"] is None, row["average"] or 0) for row in by_area) == [
        (False, 2.0),
        (False, 5.0),
        (True, 0),
    ]


def test_the_staff_dashboard_shows_and_exports_the_service_panels(client):
    from django.urls import reverse

    from security import roles

    rated = new_request(code="consultation", as_of=dt.datetime(2026, 11, 16, 8, tzinfo=SHANGHAI))
    _answer(rated, at=dt.datetime(2026, 11, 17, 15, tzinfo=SHANGHAI), rating=4)
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    filters = {"month_from": "2026-11", "month_to": "2026-11", "as_of": "2026-11-30"}
    page = client.get(reverse("analytics_dashboard:index"), filters)
    titles = [table.title for table in page.context["extra_tables"]]
    assert titles[:4] == [
        "Service requests by type",
        "Time-limit compliance",
        "Satisfaction by type",
        "Satisfaction by transformer area",
    ]
    volumes = page.context["extra_tables"][0].rows
    assert [(row["key"], row["submitted"], row["completed"]) for row in volumes] == [("consultation", 1, 1)]
    export = client.get(reverse("analytics_dashboard:export", args=["satisfaction_type", "csv"]), filters)
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[1].split(",")[1:4] == ["1", "1", "4.0"]  # completed, rated, average
