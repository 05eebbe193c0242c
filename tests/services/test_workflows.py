"""The workflow engine: for every type, every allowed transition works for its roles and every other
(step × action × role) is refused; guards, notes, history, the applicant's cancel/resubmit, rating."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from services import catalogue
from services.actions.requests import TransitionRefused, rate_request, transition_request
from services.models import RequestEvent, RequestStep, ServiceType, WorkflowTransition
from tests.factories import make_portal_user, make_staff
from tests.services.request_helpers import (
    AS_OF,
    ROLES,
    attach_required,
    new_request,
    place_at,
    records_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    """Messages are asserted in the source language (the UI defaults to Chinese)."""
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


TYPE_CODES = [spec.code for spec in catalogue.CATALOGUE]


def _actor(role: str, service_request, staff: dict):
    return service_request.applicant if role == catalogue.APPLICANT else staff[role]


def test_catalogue_rows_match_the_reviewed_catalogue():
    assert list(ServiceType.objects.values_list("code", flat=True)) == TYPE_CODES
    hv = ServiceType.objects.get(code="hv_new_connection")
    steps = list(hv.steps.values_list("code", flat=True))
    assert steps[:2] == ["submitted", "returned"]
    assert steps[2:9] == [
        "site_survey",
        "supply_plan",
        "design_review",
        "construction",
        "completion_inspection",
        "meter_installation",
        "completed",
    ]
    assert hv.steps.get(code="supply_plan").sla_by_field == ["power_source", [["dual", 30]]]
    assert ServiceType.objects.get(code="res_new_connection").total_sla_days == 5


@pytest.mark.parametrize("code", TYPE_CODES)
def test_transition_table(code):
    """Every (step, action, role) of the type: allowed exactly when the catalogue says so."""
    staff = {role: make_staff(role=role) for role in catalogue.roles.ALL_ROLES}
    service_type = ServiceType.objects.get(code=code)
    table = {(t.source, t.action): t for t in WorkflowTransition.objects.filter(service_type=service_type)}
    actions = sorted({action for _, action in table})
    sources = [s.code for s in service_type.steps.exclude(code__in=catalogue.TERMINAL_STEPS)]
    checked_allowed = checked_refused = 0
    # A staff-only request's filer is staff: their staff roles decide, so "applicant" is not probed alone.
    roles_checked = catalogue.roles.ALL_ROLES if service_type.staff_only else ROLES
    for source in sources:
        probe = place_at(new_request(code=code), source)
        attach_required(probe)
        for action in actions:
            transition = table.get((source, action))
            for role in roles_checked:
                if transition is not None and role in transition.roles:
                    fresh = place_at(new_request(code=code), source)
                    attach_required(fresh)
                    done = transition_request(
                        actor=_actor(role, fresh, staff),
                        service_request_id=fresh.pk,
                        action=action,
                        as_of=AS_OF,
                        note="核实",
                        recorded=records_for(source, fresh),
                    )
                    assert done.status == transition.target, (code, source, action, role)
                    event = done.events.get(action=action)
                    assert (event.from_status, event.to_status, event.actor_role) == (source, transition.target, role)
                    checked_allowed += 1
                else:
                    with pytest.raises(TransitionRefused) as refused:
                        transition_request(
                            actor=_actor(role, probe, staff),
                            service_request_id=probe.pk,
                            action=action,
                            as_of=AS_OF,
                            note="核实",
                            recorded=records_for(source, probe),
                        )
                    assert refused.value.code == ("state" if transition is None else "role"), (
                        code,
                        source,
                        action,
                        role,
                    )
                    checked_refused += 1
        probe.refresh_from_db()
        assert probe.status == source  # refusals changed nothing
    assert checked_allowed == sum(len(set(t.roles) & set(roles_checked)) for t in table.values())
    assert checked_refused > checked_allowed


def test_another_customer_cannot_act_on_a_request():
    service_request = new_request(code="consultation")
    with pytest.raises(TransitionRefused) as refused:
        transition_request(
            actor=make_portal_user(), service_request_id=service_request.pk, action="cancel", as_of=AS_OF
        )
    assert refused.value.code == "role"


def test_accept_needs_every_required_document():
    agent = make_staff(role=catalogue.CSA)
    service_request = new_request(code="res_new_connection")
    with pytest.raises(TransitionRefused) as refused:
        transition_request(actor=agent, service_request_id=service_request.pk, action="accept", as_of=AS_OF)
    assert refused.value.code == "guard"
    assert "身份证" in refused.value.message and "房产证明" in refused.value.message
    attach_required(service_request)
    accepted = transition_request(actor=agent, service_request_id=service_request.pk, action="accept", as_of=AS_OF)
    assert accepted.status == "site_survey"
    assert accepted.assigned_role == catalogue.ENGINEER


def test_return_needs_a_note_and_the_applicant_resubmits():
    agent = make_staff(role=catalogue.CSA)
    service_request = new_request(code="res_new_connection")
    with pytest.raises(TransitionRefused) as refused:
        transition_request(actor=agent, service_request_id=service_request.pk, action="return", as_of=AS_OF)
    assert refused.value.code == "note"
    transition_request(
        actor=agent, service_request_id=service_request.pk, action="return", as_of=AS_OF, note="房产证明不清晰"
    )
    resubmitted = transition_request(
        actor=service_request.applicant, service_request_id=service_request.pk, action="resubmit", as_of=AS_OF
    )
    assert resubmitted.status == "submitted"
    history = list(RequestEvent.objects.filter(request=service_request).values_list("action", "note"))
    assert history == [("submit", ""), ("return", "房产证明不清晰"), ("resubmit", "")]
    # Three stays: submitted (closed by the return), returned (closed by the resubmission), submitted again.
    stays = list(RequestStep.objects.filter(request=service_request).values_list("code", "finished_at"))
    assert [code for code, _ in stays] == ["submitted", "returned", "submitted"]
    assert [finished is None for _, finished in stays] == [False, False, True]


def test_applicant_cannot_cancel_after_acceptance():
    agent = make_staff(role=catalogue.CSA)
    service_request = new_request(code="meter_check")
    transition_request(actor=agent, service_request_id=service_request.pk, action="accept", as_of=AS_OF)
    with pytest.raises(TransitionRefused) as refused:
        transition_request(
            actor=service_request.applicant, service_request_id=service_request.pk, action="cancel", as_of=AS_OF
        )
    assert refused.value.code == "state"


def test_a_step_with_values_to_record_refuses_to_finish_without_them():
    engineer = make_staff(role=catalogue.ENGINEER)
    service_request = place_at(new_request(code="meter_check"), "meter_test")
    with pytest.raises(TransitionRefused) as refused:
        transition_request(actor=engineer, service_request_id=service_request.pk, action="advance", as_of=AS_OF)
    assert refused.value.code == "guard" and "Meter test result" in refused.value.message
    done = transition_request(
        actor=engineer,
        service_request_id=service_request.pk,
        action="advance",
        as_of=AS_OF,
        recorded={"test_result": "误差 +0.3%，合格", "not_a_record": "ignored"},
    )
    assert done.status == "completed"
    assert done.recorded == {"test_result": "误差 +0.3%，合格"}
    assert done.closed_at == AS_OF


def test_bad_form_answers_are_named():
    with pytest.raises(ValidationError) as error:
        new_request(
            code="capacity_increase",
            form={"new_kva": "lots", "effective_on": "31/12/2026", "contact_phone": "12345", "extra": "x"},
        )
    assert set(error.value.message_dict) == {"new_kva", "effective_on", "contact_phone", "__all__"}


def test_personal_answers_are_stored_encrypted():
    service_request = new_request(code="res_new_connection")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT private_data, form_data FROM services_servicerequest WHERE id = %s", [service_request.pk]
        )
        stored, plain = cursor.fetchone()
    assert stored.startswith("v1:") and "applicant_name" not in stored
    assert "applicant_name" not in str(plain) and "category" in str(plain)


def test_rating_once_by_the_applicant_after_completion():
    agent = make_staff(role=catalogue.CSA)
    service_request = place_at(new_request(code="consultation"), "answering")
    with pytest.raises(TransitionRefused):
        rate_request(
            user=service_request.applicant, service_request_id=service_request.pk, rating=5, comment="", as_of=AS_OF
        )
    transition_request(
        actor=agent, service_request_id=service_request.pk, action="advance", as_of=AS_OF, recorded={"answer": "已答复"}
    )
    with pytest.raises(TransitionRefused) as refused:
        rate_request(user=make_portal_user(), service_request_id=service_request.pk, rating=5, comment="", as_of=AS_OF)
    assert refused.value.code == "role"
    with pytest.raises(TransitionRefused) as refused:
        rate_request(
            user=service_request.applicant, service_request_id=service_request.pk, rating=6, comment="", as_of=AS_OF
        )
    assert refused.value.code == "rating"
    rated = rate_request(
        user=service_request.applicant, service_request_id=service_request.pk, rating=4, comment=" 很快 ", as_of=AS_OF
    )
    assert (rated.rating, rated.rating_comment) == (4, "很快")
    with pytest.raises(TransitionRefused):
        rate_request(
            user=service_request.applicant, service_request_id=service_request.pk, rating=1, comment="", as_of=AS_OF
        )


def test_progress_notifies_the_applicant_once_per_event_after_commit(django_capture_on_commit_callbacks):
    from services.actions.requests import notify_request_event
    from services.models import Notification

    agent = make_staff(role=catalogue.CSA)
    with django_capture_on_commit_callbacks(execute=True):
        service_request = new_request(code="consultation")
        transition_request(actor=agent, service_request_id=service_request.pk, action="accept", as_of=AS_OF)
    events = list(service_request.events.order_by("pk"))
    notices = Notification.objects.filter(user=service_request.applicant).order_by("pk")
    assert [n.event_key for n in notices] == [f"service-request:{service_request.pk}:event:{e.pk}" for e in events]
    assert all(n.kind == "service_request" for n in notices)
    assert all(n.link == f"/service-requests/{service_request.number}/" for n in notices)
    # The task delivered again (a retry) tells nothing twice.
    assert notify_request_event(event_id=events[-1].pk) == 0
    assert notices.count() == 2


def test_a_rolled_back_transition_tells_the_applicant_nothing(django_capture_on_commit_callbacks):
    from django.db import transaction

    from services.models import Notification

    agent = make_staff(role=catalogue.CSA)
    service_request = new_request(code="consultation")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            transition_request(actor=agent, service_request_id=service_request.pk, action="accept", as_of=AS_OF)
            raise RuntimeError("the surrounding transaction fails after the step changed")
    assert callbacks == []
    assert not Notification.objects.filter(user=service_request.applicant).exists()


def test_progress_notice_is_in_chinese_whatever_the_actors_language(django_capture_on_commit_callbacks):
    from services.models import Notification

    agent = make_staff(role=catalogue.CSA)
    service_request = new_request(code="consultation")
    # The agent works in English (this module's language); the customer reads the notice in Chinese.
    with django_capture_on_commit_callbacks(execute=True):
        transition_request(
            actor=agent, service_request_id=service_request.pk, action="return", as_of=AS_OF, note="请补充用电地址"
        )
    notice = Notification.objects.get(user=service_request.applicant)
    # The step and type names are stored in English in the database; a Chinese customer reads them in Chinese.
    assert notice.title == f"{service_request.number}：已退回，待补充资料"
    assert notice.body == (
        f"您的咨询申请 {service_request.number} 已退回补充资料：请按要求补充后重新提交。\n工作人员说明：请补充用电地址"
    )


def test_each_step_change_tells_the_applicant_what_happened(django_capture_on_commit_callbacks):
    from services.models import Notification

    agent = make_staff(role=catalogue.CSA)
    with django_capture_on_commit_callbacks(execute=True):
        service_request = new_request(code="consultation")
        pk, number = service_request.pk, service_request.number
        transition_request(actor=agent, service_request_id=pk, action="return", as_of=AS_OF, note="请写明户号")
        transition_request(
            actor=service_request.applicant, service_request_id=pk, action="resubmit", as_of=AS_OF, note="已补充"
        )
        transition_request(actor=agent, service_request_id=pk, action="accept", as_of=AS_OF)
        transition_request(
            actor=agent, service_request_id=pk, action="advance", as_of=AS_OF, recorded={"answer": "已答复"}
        )
    bodies = list(
        Notification.objects.filter(user=service_request.applicant).order_by("pk").values_list("body", flat=True)
    )
    assert bodies == [
        f"我们已收到您的咨询申请 {number}，正在等待受理。",
        f"您的咨询申请 {number} 已退回补充资料：请按要求补充后重新提交。\n工作人员说明：请写明户号",
        f"您的咨询申请 {number} 已重新提交，正在等待受理。",  # the applicant's own note is not echoed back
        f"您的咨询申请 {number} 已受理，当前环节：“答复”。",
        f"您的咨询申请 {number} 已办结。",
    ]
