"""Working-day time limits on the mainland calendar, the deadline watch and escalation.

The 2026 schedule (State Council, as packaged by chinesecalendar): Mid-Autumn 25–27 Sep (Fri–Sun),
National Day 1–7 Oct (Thu–Wed); adjusted working days Sunday 20 Sep and Saturday 10 Oct.
"""

from __future__ import annotations

import datetime as dt

import pytest

from services import catalogue, sla
from services.actions.requests import transition_request
from services.actions.sla_monitor import check_deadlines
from services.models import Notification, RequestEvent, ServiceRequest
from tests.factories import SHANGHAI, make_staff
from tests.services.request_helpers import attach_required, new_request, place_at, records_for


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Wed 30 Sep + 5: Thu 8, Fri 9, Sat 10 (adjusted working day), Mon 12, Tue 13 Oct. 1–7 Oct are holidays.
        ("2026-09-30", 5, "2026-10-13"),
        # Thu 24 Sep + 3: Mid-Autumn 25–27 off → Mon 28, Tue 29, Wed 30 Sep.
        ("2026-09-24", 3, "2026-09-30"),
        # Fri 18 Sep + 1: Saturday 19 is off, Sunday 20 is an adjusted working day.
        ("2026-09-18", 1, "2026-09-20"),
        # Started on a holiday (2 Oct) + 1: the first working day after it, Thu 8 Oct.
        ("2026-10-02", 1, "2026-10-08"),
        # Fri 9 Oct + 2: Sat 10 (adjusted), Mon 12 Oct (Sunday 11 off).
        ("2026-10-09", 2, "2026-10-12"),
        # Ordinary week: Mon 16 Nov + 5 → Mon 23 Nov.
        ("2026-11-16", 5, "2026-11-23"),
    ],
)
def test_due_dates_follow_the_mainland_calendar(start, days, due):
    due_at = sla.due_at(started_at=at(start, 16), working_days=days)
    assert sla.due_day(due_at) == dt.date.fromisoformat(due)
    # Due strictly before the midnight that closes the due day, in Shanghai time.
    assert due_at == dt.datetime.fromisoformat(due).replace(tzinfo=SHANGHAI) + dt.timedelta(days=1)


@pytest.mark.django_db
def test_residential_connection_accepted_before_national_day_is_due_five_working_days_later():
    agent = make_staff(role=catalogue.CSA)
    service_request = new_request(code="res_new_connection", as_of=at("2026-09-28"))
    attach_required(service_request)
    accepted = transition_request(
        actor=agent, service_request_id=service_request.pk, action="accept", as_of=at("2026-09-29", 9)
    )
    # Tue 29 Sep + 5: Wed 30 Sep, Thu 8, Fri 9, Sat 10 (adjusted), Mon 12 Oct.
    assert sla.due_day(accepted.due_at) == dt.date(2026, 10, 12)
    # The survey step (2 working days) started the same morning: Wed 30 Sep, Thu 8 Oct.
    survey = accepted.steps.get(code="site_survey")
    assert sla.due_day(survey.due_at) == dt.date(2026, 10, 8)
    assert accepted.step_due_at == survey.due_at


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "days", "due"), [("single", 15, "2026-10-27"), ("dual", 30, "2026-11-17")])
def test_high_voltage_supply_plan_limit_depends_on_single_or_dual_source(source, days, due):
    engineer = make_staff(role=catalogue.ENGINEER)
    service_request = new_request(code="hv_new_connection")
    service_request.form_data["power_source"] = source
    service_request.save()
    place_at(service_request, "site_survey", at=at("2026-09-29"))
    planned = transition_request(
        actor=engineer,
        service_request_id=service_request.pk,
        action="advance",
        as_of=at("2026-09-30"),
        recorded=records_for("site_survey", service_request),
    )
    step = planned.steps.get(code="supply_plan")
    assert step.sla_days == days
    # From Wed 30 Sep: Oct 8, 9, 10 (3), 12–16 (8), 19–23 (13), 26, 27 (15: single source);
    # then 28–30 (18), Nov 2–6 (23), 9–13 (28), 16, 17 (30: dual source).
    assert sla.due_day(step.due_at) == dt.date.fromisoformat(due)


@pytest.mark.django_db
def test_deadline_watch_warns_then_flags_and_escalates_once():
    supervisor = make_staff(role=catalogue.CSA)
    engineer = make_staff(role=catalogue.ENGINEER)
    service_request = new_request(code="meter_check", as_of=at("2026-11-16"))
    service_request.area.supervisor = supervisor
    service_request.area.save()
    service_request.assigned_to = engineer
    service_request.save()
    # Submitted Mon 16 Nov: acceptance due within 1 working day → by Tue 17 Nov.
    assert sla.due_day(service_request.step_due_at) == dt.date(2026, 11, 17)

    early = check_deadlines(as_of=at("2026-11-16", 8))
    assert (early.warned, early.breached) == (1, 0)  # due day is the next working day: warned
    service_request.refresh_from_db()
    assert service_request.sla_state == ServiceRequest.SlaState.DUE_SOON
    assert Notification.objects.filter(user=engineer, event_key__startswith="sla-warning:").count() == 1

    late = check_deadlines(as_of=at("2026-11-18", 0) + dt.timedelta(minutes=1))
    assert (late.breached, late.escalated) == (1, 1)
    service_request.refresh_from_db()
    assert service_request.sla_state == ServiceRequest.SlaState.BREACHED
    step = service_request.steps.get(finished_at__isnull=True)
    assert step.escalated_to == supervisor
    assert Notification.objects.get(user=supervisor, event_key=f"sla-escalation:{step.pk}").title.endswith(
        service_request.number
    )
    assert RequestEvent.objects.filter(request=service_request, action="escalate").count() == 1

    again = check_deadlines(as_of=at("2026-11-20"))
    assert (again.warned, again.breached, again.escalated) == (0, 0, 0)
    assert Notification.objects.filter(user=supervisor).count() == 1


@pytest.mark.django_db
def test_no_warning_while_the_due_day_is_more_than_a_working_day_away():
    service_request = new_request(code="meter_check", as_of=at("2026-11-16"))
    place_at(service_request, "meter_test", at=at("2026-11-16"))  # 5 working days → Mon 23 Nov
    report = check_deadlines(as_of=at("2026-11-19"))
    assert (report.warned, report.breached) == (0, 0)
    # Friday 20 Nov: the next working day is Monday 23, the due day → warned.
    assert check_deadlines(as_of=at("2026-11-20")).warned == 1


@pytest.mark.django_db
def test_end_to_end_limit_breach_is_flagged_even_when_each_step_is_on_time():
    service_request = new_request(code="res_new_connection", as_of=at("2026-11-16"))
    service_request.due_at = sla.due_at(started_at=at("2026-11-16"), working_days=5)  # Mon 23 Nov
    service_request.save()
    place_at(service_request, "site_survey", at=at("2026-11-24"))
    report = check_deadlines(as_of=at("2026-11-24", 12))
    assert report.breached == 1
    service_request.refresh_from_db()
    assert service_request.sla_state == ServiceRequest.SlaState.BREACHED


@pytest.mark.parametrize(
    ("returned", "resubmitted", "waited", "due"),
    [
        # Same day: nothing waited, the due day stays Mon 12 Oct.
        ("2026-09-29", "2026-09-29", 0, "2026-10-12"),
        # Tue 29 Sep → Fri 2 Oct: Wed 30 Sep is a working day, 1–2 Oct are National Day → 1 waited.
        # Mon 12 Oct + 1 → Tue 13 Oct.
        ("2026-09-29", "2026-10-02", 1, "2026-10-13"),
        # Wed 30 Sep → Mon 12 Oct: Thu 8, Fri 9, Sat 10 (adjusted), Mon 12 → 4 waited.
        # Mon 12 Oct + 4 → Tue 13, Wed 14, Thu 15, Fri 16 Oct.
        ("2026-09-30", "2026-10-12", 4, "2026-10-16"),
    ],
)
def test_time_returned_to_the_applicant_moves_the_due_day_by_the_working_days_waited(
    returned, resubmitted, waited, due
):
    due_at = sla.due_at(started_at=at("2026-09-29"), working_days=5)  # Mon 12 Oct, as above
    assert sla.working_days_between(start=at(returned), end=at(resubmitted, 15)) == waited
    moved = sla.paused_due_at(due=due_at, paused_from=at(returned), paused_to=at(resubmitted, 15))
    assert sla.due_day(moved) == dt.date.fromisoformat(due)


@pytest.mark.django_db
def test_returned_request_does_not_breach_and_resubmission_extends_the_end_to_end_limit():
    agent, engineer = make_staff(role=catalogue.CSA), make_staff(role=catalogue.ENGINEER)
    service_request = new_request(code="res_new_connection", as_of=at("2026-11-16", 9))
    attach_required(service_request)
    accepted = transition_request(
        actor=agent, service_request_id=service_request.pk, action="accept", as_of=at("2026-11-16")
    )
    assert sla.due_day(accepted.due_at) == dt.date(2026, 11, 23)  # Mon 16 Nov + 5 working days
    # The engineer finds the premises locked on Tue 17 Nov and returns it; the customer answers on Tue 24.
    transition_request(
        actor=engineer,
        service_request_id=service_request.pk,
        action="return",
        as_of=at("2026-11-17"),
        note="现场无人，请约定勘查时间",
    )
    # Tue 24 Nov, past the original due day: the request is with the customer, so it is not breached.
    assert check_deadlines(as_of=at("2026-11-24", 9)).breached == 0
    service_request.refresh_from_db()
    assert service_request.sla_state != ServiceRequest.SlaState.BREACHED

    resubmitted = transition_request(
        actor=service_request.applicant,
        service_request_id=service_request.pk,
        action="resubmit",
        as_of=at("2026-11-24", 11),
    )
    # Waited: Wed 18, Thu 19, Fri 20, Mon 23, Tue 24 = 5 working days → Mon 23 + 5 = Mon 30 Nov.
    assert sla.due_day(resubmitted.due_at) == dt.date(2026, 11, 30)
    assert resubmitted.status == catalogue.SUBMITTED  # back in the queue, the clock running again
