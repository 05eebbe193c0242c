"""The demand-response staff console: event actions (dispatch, cancel with a reason, settle), the
review queue (approve with a note), staff enrolment on a customer's behalf with the reason recorded,
the event service's refusals on the draft form's fields, and locked terms versions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from billing.models import LedgerEntry
from core import clock
from security import roles
from services.models import DREnrolment, DREvent, DRParticipation, DRSettlement
from tests.factories import make_account, make_staff
from tests.services.dr_staff_helpers import (
    EVENT_DAY,
    answer_and_complete,
    at,
    completed_event,
    draft_event,
    household,
    make_program,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _english(client):
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def freeze(monkeypatch, moment: dt.datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: moment)
    monkeypatch.setattr(clock, "today", lambda: moment.date())


def changelist(model: str) -> str:
    return reverse(f"admin:services_{model}_changelist")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_dispatch_then_settle_from_the_event_list(client, monkeypatch):
    scenario = draft_event()
    analyst = make_staff(role=roles.MARKETING_ANALYST)
    client.force_login(analyst)
    freeze(monkeypatch, at(dt.date(2026, 8, 11), 16))
    response = client.post(
        changelist("drevent"), {"action": "dispatch_selected", "_selected_action": [scenario.event.pk]}, follow=True
    )
    assert "1 event(s) dispatched." in messages_of(response)
    assert "2 account(s) invited." in messages_of(response)
    scenario.event.refresh_from_db()
    assert scenario.event.status == DREvent.Status.SCHEDULED
    assert DRParticipation.objects.filter(event=scenario.event).count() == 2

    # Dispatching again is refused with the service's message, and counted as nothing done.
    again = client.post(
        changelist("drevent"), {"action": "dispatch_selected", "_selected_action": [scenario.event.pk]}, follow=True
    )
    assert any("Only a draft event can be dispatched." in m for m in messages_of(again))

    answer_and_complete(scenario)
    freeze(monkeypatch, at(dt.date(2026, 8, 13), 9))
    settled = client.post(
        changelist("drevent"), {"action": "settle_selected", "_selected_action": [scenario.event.pk]}, follow=True
    )
    assert "1 event(s) settled." in messages_of(settled)
    assert "Settlements: 1 computed, 1 posted, 0 in review, 0 awaiting data." in messages_of(settled)
    settlement = DRSettlement.objects.get(participation__event=scenario.event)
    assert (settlement.net, settlement.status) == (D("5.76"), "posted")  # 3.84 kWh × 1.5 CNY/kWh


def test_cancel_asks_for_a_reason_and_records_it(client, monkeypatch):
    scenario = completed_event()
    other = draft_event(code="other").event  # a second program's draft in another area
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    freeze(monkeypatch, at(dt.date(2026, 8, 11), 18))
    page = client.post(changelist("drevent"), {"action": "cancel_selected", "_selected_action": [other.pk]})
    assert page.status_code == 200 and 'name="note"' in page.content.decode()
    other.refresh_from_db()
    assert other.status == DREvent.Status.DRAFT  # nothing happens before the note is given
    done = client.post(
        changelist("drevent"),
        {
            "action": "cancel_selected",
            "_selected_action": [other.pk, scenario.event.pk],
            "apply": "1",
            "note": "负荷预测下调",
        },
        follow=True,
    )
    other.refresh_from_db()
    assert (other.status, other.cancel_reason) == ("cancelled", "负荷预测下调")
    assert "1 event(s) cancelled." in messages_of(done)
    assert any("A completed or settled event cannot be cancelled." in m for m in messages_of(done))


def test_review_queue_approve_with_a_note(client, monkeypatch):
    scenario = completed_event(approval=True)
    clerk = make_staff(role=roles.BILLING_CLERK)
    from services.actions.demand_response.settlement import settle_event

    settle_event(event=scenario.event, now=at(dt.date(2026, 8, 13), 9))
    settlement = DRSettlement.objects.get(participation__event=scenario.event)
    assert settlement.status == "review"
    client.force_login(clerk)
    queue = client.get(changelist("drsettlement"), {"status__exact": "review"})
    assert scenario.taker.number in queue.content.decode()
    freeze(monkeypatch, at(dt.date(2026, 8, 13), 10))
    done = client.post(
        changelist("drsettlement"),
        {"action": "approve_selected", "_selected_action": [settlement.pk], "apply": "1", "note": "核对无误"},
        follow=True,
    )
    assert "1 settlement(s) approved and posted." in messages_of(done)
    settlement.refresh_from_db()
    assert (settlement.status, settlement.review_note, settlement.reviewed_by) == ("posted", "核对无误", clerk)
    credit = LedgerEntry.objects.get(posting_key=f"dr:{scenario.event.pk}:{scenario.taker.pk}:r1")
    assert credit.amount == D("-5.76")


def test_search_and_flag_filters_of_the_settlements(client):
    scenario = completed_event()
    from services.actions.demand_response.settlement import settle_event

    settle_event(event=scenario.event, now=at(dt.date(2026, 8, 13), 9))
    DRSettlement.objects.update(flags=[{"code": "gaming", "text": "spike"}])
    client.force_login(make_staff(role=roles.BILLING_CLERK))
    found = client.get(changelist("drsettlement"), {"q": scenario.taker.number})
    assert found.context["cl"].result_count == 1
    gaming = client.get(changelist("drsettlement"), {"flag": "gaming"})
    assert gaming.context["cl"].result_count == 1
    clean = client.get(changelist("drsettlement"), {"flag": "none"})
    assert clean.context["cl"].result_count == 0
    month = client.get(changelist("drsettlement"), {"month": "2026-08"})
    assert month.context["cl"].result_count == 1
    linked = client.get(changelist("drsettlement"), {"participation__event__id__exact": scenario.event.pk})
    assert linked.context["cl"].result_count == 1  # the results page's link to the event's settlements


def test_staff_enrol_on_the_customers_behalf_with_the_reason(client, monkeypatch):
    program = make_program()
    account, _ = household()
    agent = make_staff(role=roles.CUSTOMER_SERVICE_AGENT)
    client.force_login(agent)
    freeze(monkeypatch, at(dt.date(2026, 8, 1), 9))
    url = reverse("admin:services_drenrolment_enrol")
    assert client.get(reverse("admin:services_drenrolment_add")).url == url
    missing = client.post(url, {"program": program.pk, "account_number": account.number, "committed_kw": "2.5"})
    assert "This field is required." in missing.content.decode()
    too_much = client.post(
        url, {"program": program.pk, "account_number": account.number, "committed_kw": "50", "staff_reason": "电话申请"}
    )
    assert "You can commit at most" in too_much.content.decode()
    client.post(
        url,
        {
            "program": program.pk,
            "account_number": account.number,
            "committed_kw": "2.5",
            "staff_reason": "客户电话申请",
        },
    )
    enrolment = DREnrolment.objects.get(account=account)
    assert (enrolment.channel, enrolment.staff_reason, enrolment.enrolled_by) == ("staff", "客户电话申请", agent)
    assert enrolment.terms == program.terms.get()

    freeze(monkeypatch, at(dt.date(2026, 8, 20), 9))
    done = client.post(
        changelist("drenrolment"), {"action": "withdraw_selected", "_selected_action": [enrolment.pk]}, follow=True
    )
    assert "1 enrolment(s) withdrawn." in messages_of(done)
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.withdrawn_by) == ("withdrawn", agent)


def test_draft_form_shows_the_event_services_refusals_on_their_fields(client, monkeypatch):
    program = make_program()
    account = make_account()
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    freeze(monkeypatch, at(dt.date(2026, 8, 11), 9))
    form = {
        "program": program.pk,
        "name": "试验",
        "start_0": "2026-08-12",
        "start_1": "14:10",
        "end_0": "2026-08-12",
        "end_1": "19:10",
        "notice_at_0": "2026-08-12",
        "notice_at_1": "08:00",
        "requested_kw": "100",
        "target_accounts": [account.pk],
    }
    page = client.post(reverse("admin:services_drevent_add"), form)
    errors = page.context["adminform"].form.errors
    assert "Start and end must fall on a quarter hour (:00, :15, :30, :45)." in errors["start"]
    assert "Events of this program last at most 4.00 hours." in errors["end"]
    assert "Customers must be told at least 720 minutes before the start." in errors["notice_at"]
    assert not DREvent.objects.exists()
    form.update(start_1="14:00", end_1="16:00", notice_at_0="2026-08-11", notice_at_1="17:00")
    saved = client.post(reverse("admin:services_drevent_add"), form)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    event = DREvent.objects.get()
    assert (event.status, list(event.target_accounts.all()), event.created_by.username) == (
        "draft",
        [account],
        page.wsgi_request.user.username,
    )
    # The deadline comes from the program: 4 h before the start.
    assert event.response_deadline == at(EVENT_DAY, 10)


def test_a_term_version_that_paid_is_read_only(client):
    scenario = completed_event()
    from services.actions.demand_response.settlement import settle_event

    settle_event(event=scenario.event, now=at(dt.date(2026, 8, 13), 9))
    terms = scenario.program.terms.get()
    assert terms.locked_at is not None
    admin_user = make_staff(role=roles.SYSTEM_ADMINISTRATOR)
    client.force_login(admin_user)
    page = client.get(reverse("admin:services_drprogram_change", args=[scenario.program.pk]))
    inline = page.context["inline_admin_formsets"][0]
    locked_form = inline.formset.forms[0]
    editable = [name for name, field in locked_form.fields.items() if not field.disabled]
    assert set(editable) <= {"id", "program", "DELETE"}, editable
    assert "energy_price" in locked_form.fields


def test_a_draft_is_edited_through_the_event_service_and_a_dispatched_event_is_read_only(client, monkeypatch):
    scenario = draft_event()
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    freeze(monkeypatch, at(dt.date(2026, 8, 11), 9))
    url = reverse("admin:services_drevent_change", args=[scenario.event.pk])
    form = {
        "program": scenario.program.pk,
        "name": "8月12日削峰（改）",
        "start_0": "2026-08-12",
        "start_1": "15:00",
        "end_0": "2026-08-12",
        "end_1": "17:00",
        "notice_at_0": "2026-08-11",
        "notice_at_1": "17:00",
        "requested_kw": "800",
        "target_areas": [scenario.taker.area_id],
        "participations-TOTAL_FORMS": "0",
        "participations-INITIAL_FORMS": "0",
    }
    refused = client.post(url, {**form, "end_1": "15:00"})
    assert "The event must end after it starts." in refused.context["adminform"].form.errors["end"]
    saved = client.post(url, form)
    assert saved.status_code == 302
    scenario.event.refresh_from_db()
    assert (scenario.event.name, scenario.event.requested_kw, scenario.event.start) == (
        "8月12日削峰（改）",
        D("800.000"),
        at(EVENT_DAY, 15),
    )
    assert scenario.event.response_deadline == at(EVENT_DAY, 11)  # 4 h before the new start
    from services.actions.demand_response.events import dispatch_event

    dispatch_event(event=scenario.event, user=None, now=at(dt.date(2026, 8, 11), 16))
    page = client.get(url)
    assert page.context["adminform"].form.fields == {} or "name" not in page.context["adminform"].form.fields
