"""Finding 2 of issue 13 (privilege escalation): nobody raises their own privileges; superuser and the
system/security roles need a second, different security administrator; a system administrator cannot
take over a more privileged account; every change of flags, roles and permissions is audited with
before and after, whichever path makes it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from security import roles
from security.context import Actor, acting_as
from security.models import AuditEvent, PrivilegeRequest, User
from security.services.privileges import (
    AccessState,
    PrivilegeError,
    approve_privilege_request,
    change_user_access,
    reject_privilege_request,
)
from tests.factories import make_staff

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


def group(name: str) -> Group:
    return Group.objects.get(name=name)


def change_form(user: User, **overrides) -> dict:
    """The admin change form of ``user`` as it stands, with ``overrides``."""
    data = {
        "username": user.username,
        "kind": user.kind,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
        "user_permissions": [str(pk) for pk in user.user_permissions.values_list("pk", flat=True)],
        "privilege_reason": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v not in ("", None)}


@pytest.fixture
def sysadmin():
    return make_staff(role=roles.SYSTEM_ADMINISTRATOR, username="sys1")


@pytest.fixture
def secadmins():
    return make_staff(role=roles.SECURITY_ADMINISTRATOR, username="sec1"), make_staff(
        role=roles.SECURITY_ADMINISTRATOR, username="sec2"
    )


def privilege_events(user: User) -> list[dict]:
    return list(
        AuditEvent.objects.filter(action="privilege_change", object_type="security.user", object_id=str(user.pk))
        .order_by("id")
        .values_list("details", flat=True)
    )


@pytest.mark.parametrize(
    "raise_to",
    [
        {"is_superuser": "on"},
        {"groups": "SECURITY_ADMINISTRATOR"},
        {"groups": "BILLING_CLERK"},  # even an ordinary role: nobody widens their own access
        {"user_permissions": "security.change_user"},
    ],
)
def test_a_system_administrator_cannot_raise_their_own_privileges_in_the_admin(client, sysadmin, raise_to):
    client.force_login(sysadmin)
    overrides = dict(raise_to)
    if "groups" in overrides:
        extra = group(getattr(roles, overrides["groups"]))
        overrides["groups"] = [*change_form(sysadmin)["groups"], str(extra.pk)]
    if "user_permissions" in overrides:
        app, codename = overrides["user_permissions"].split(".")
        overrides["user_permissions"] = [str(Permission.objects.get(content_type__app_label=app, codename=codename).pk)]
    before = AccessState.of(sysadmin)
    response = client.post(f"/admin/security/user/{sysadmin.pk}/change/", change_form(sysadmin, **overrides))
    assert response.status_code == 200  # the form again, with the error
    assert "You cannot raise your own privileges" in response.content.decode()
    sysadmin.refresh_from_db()
    assert AccessState.of(sysadmin) == before
    assert not PrivilegeRequest.objects.exists()


def test_the_signal_guard_refuses_self_raising_on_any_web_path(sysadmin):
    # Whatever interface a future change adds, a write made while the user acts is checked at the model.
    with acting_as(Actor(user=sysadmin)):
        with pytest.raises(PermissionDenied), transaction.atomic():
            sysadmin.groups.add(group(roles.BILLING_CLERK))
        sysadmin.is_superuser = True
        with pytest.raises(PermissionDenied), transaction.atomic():
            sysadmin.save()
    assert not User.objects.get(pk=sysadmin.pk).is_superuser
    assert not sysadmin.groups.filter(name=roles.BILLING_CLERK).exists()


def test_granting_superuser_to_someone_else_waits_for_a_second_security_administrator(client, sysadmin, secadmins):
    clerk = make_staff(role=roles.BILLING_CLERK, username="clerk9")
    client.force_login(sysadmin)
    form = change_form(clerk, is_superuser="on", privilege_reason="covers the year-end billing freeze", first_name="Li")
    response = client.post(f"/admin/security/user/{clerk.pk}/change/", form, follow=True)
    assert response.status_code == 200
    clerk.refresh_from_db()
    assert clerk.first_name == "Li"  # the ordinary part of the form is saved
    assert clerk.is_superuser is False  # the privileged part is not
    request = PrivilegeRequest.objects.get()
    assert (request.target, request.requested_by, request.grant_superuser, request.status) == (
        clerk,
        sysadmin,
        True,
        "pending",
    )
    assert "waits for a second security administrator" in response.content.decode()

    first, second = secadmins
    approve_privilege_request(approver=first, privilege_request=request, note="ok", now=NOW)
    clerk.refresh_from_db()
    assert clerk.is_superuser is True
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("approved", first)
    with pytest.raises(PrivilegeError, match="already"):
        approve_privilege_request(approver=second, privilege_request=request, note="", now=NOW)
    flags = [d for d in privilege_events(clerk) if "flags" in d]
    assert flags[-1] == {"flags": {"is_superuser": {"before": False, "after": True}}}
    approval = AuditEvent.objects.get(action="privilege_approve")
    assert (approval.actor, approval.details["superuser"]) == (first, True)


def test_the_requester_and_the_target_cannot_approve_and_a_sysadmin_cannot_decide(secadmins, sysadmin):
    first, second = secadmins
    target = make_staff(role=roles.CUSTOMER_SERVICE_AGENT, username="agent9")
    outcome = change_user_access(
        actor=first,
        target=target,
        desired=AccessState(
            is_superuser=False,
            is_staff=True,
            is_active=True,
            group_ids=frozenset({group(roles.SYSTEM_ADMINISTRATOR).pk}),
        ),
        reason="new sysadmin for the night shift",
        now=NOW,
    )
    request = outcome.privilege_request
    assert request is not None and list(request.groups.values_list("name", flat=True)) == [roles.SYSTEM_ADMINISTRATOR]
    # the agent role was dropped directly (a reduction needs nobody's approval); the sysadmin role waits
    assert list(target.groups.values_list("name", flat=True)) == []
    for who in (first, sysadmin):  # the requester; someone without the approval permission
        with pytest.raises(PrivilegeError):
            approve_privilege_request(approver=who, privilege_request=request, note="", now=NOW)
    reject_privilege_request(approver=second, privilege_request=request, note="use the on-call account", now=NOW)
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("rejected", second)
    assert not target.groups.filter(name=roles.SYSTEM_ADMINISTRATOR).exists()


def test_the_database_refuses_a_self_decided_request(secadmins):
    first, _second = secadmins
    target = make_staff(role=roles.FIELD_ENGINEER, username="eng9")
    request = PrivilegeRequest.objects.create(target=target, requested_by=first, requested_at=NOW, reason="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        PrivilegeRequest.objects.filter(pk=request.pk).update(decided_by=first)


def test_requests_expire_after_72_hours(sysadmin, secadmins):
    target = make_staff(role=roles.FIELD_ENGINEER, username="eng8")
    desired = AccessState(is_superuser=True, is_staff=True, is_active=True, group_ids=AccessState.of(target).group_ids)
    request = change_user_access(
        actor=sysadmin, target=target, desired=desired, reason="audit", now=NOW
    ).privilege_request
    with pytest.raises(PrivilegeError, match="expired"):
        approve_privilege_request(
            approver=secadmins[0], privilege_request=request, note="", now=NOW + dt.timedelta(hours=73)
        )
    request.refresh_from_db()
    assert request.status == "expired"
    assert not User.objects.get(pk=target.pk).is_superuser


def test_a_system_administrator_cannot_edit_a_superuser_or_reset_their_password(client, sysadmin):
    boss = User.objects.create_superuser(username="root2", password="x-Very-long-1", kind="staff")
    client.force_login(sysadmin)
    page = client.get(f"/admin/security/user/{boss.pk}/change/")
    assert 'name="_save"' not in page.content.decode()  # shown read-only at most
    edit = client.post(f"/admin/security/user/{boss.pk}/change/", change_form(boss, is_active=""))
    assert edit.status_code == 403
    response = client.post(
        f"/admin/security/user/{boss.pk}/password/", {"password1": "Taken-over-123", "password2": "Taken-over-123"}
    )
    assert response.status_code == 403
    boss.refresh_from_db()
    assert boss.check_password("x-Very-long-1") and boss.is_active


def test_ordinary_role_changes_by_another_administrator_apply_and_are_audited(client, sysadmin):
    agent = make_staff(role=roles.CUSTOMER_SERVICE_AGENT, username="agent7")
    client.force_login(sysadmin)
    clerk_group = group(roles.BILLING_CLERK)
    last_before = AuditEvent.objects.latest("id").pk
    response = client.post(
        f"/admin/security/user/{agent.pk}/change/",
        change_form(agent, groups=[str(clerk_group.pk)], is_active=""),  # role swapped, account disabled
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert list(agent.groups.values_list("name", flat=True)) == [roles.BILLING_CLERK]
    assert agent.is_active is False
    events = AuditEvent.objects.filter(action="privilege_change", object_id=str(agent.pk), pk__gt=last_before).order_by(
        "id"
    )
    details = [e.details for e in events]
    assert {"flags": {"is_active": {"before": True, "after": False}}} in details
    groups = [d["groups"] for d in details if "groups" in d]  # set() = remove, then add: one event each
    assert (groups[0]["before"], groups[-1]["after"]) == ([roles.CUSTOMER_SERVICE_AGENT], [roles.BILLING_CLERK])
    assert all(e.actor == sysadmin for e in events)
    assert all(e.source_ip == "127.0.0.1" for e in events)


def test_changes_outside_the_admin_are_audited_too():
    user = make_staff(role=roles.FIELD_ENGINEER, username="eng7")
    perm = Permission.objects.get(content_type__app_label="billing", codename="view_bill")
    user.user_permissions.add(perm)
    user.is_staff = False
    user.save()
    details = [
        e
        for e in AuditEvent.objects.filter(action="privilege_change", object_id=str(user.pk)).values_list(
            "details", flat=True
        )
    ]
    assert {"user_permissions": {"before": [], "after": ["billing.view_bill"]}} in details
    assert {"flags": {"is_staff": {"before": True, "after": False}}} in details
    role = group(roles.MARKETING_ANALYST)
    perm = Permission.objects.filter(content_type__app_label="billing").exclude(group=role).order_by("id").first()
    role.permissions.add(perm)
    role_event = AuditEvent.objects.filter(object_type="auth.group", object_id=str(role.pk)).latest("id")
    name = f"billing.{perm.codename}"
    assert (
        name in role_event.details["permissions"]["after"] and name not in role_event.details["permissions"]["before"]
    )
