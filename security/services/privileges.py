"""Who may change whose roles, permissions and status, and the four-eyes path for privileged grants.

* Nobody raises their own privileges (a flag, a role or a permission added to oneself), whoever they are.
* Privileged grants — superuser, a role in ``roles.PRIVILEGED_ROLES`` or a permission of the ``security``
  or ``auth`` apps — are never applied by the administrator who asks for them: they become a
  ``PrivilegeRequest`` that a second, different security administrator approves (or rejects).
* An administrator manages only users who hold no privilege they lack themselves, so a system
  administrator cannot take over a superuser's or security administrator's account (password included).
* Every change of groups, permissions, is_staff, is_superuser or is_active is audited with before and
  after by ``security.signals``, whichever path makes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction

from security import roles
from security.context import acting_as, as_user
from security.models import AuditEvent, PrivilegeRequest, User
from security.services.audit import record_event

PRIVILEGED_PERMISSION_APPS = ("security", "auth")
REQUEST_VALID_FOR = dt.timedelta(hours=72)


class PrivilegeError(PermissionDenied):
    """A change of roles or permissions that the acting user may not make; the message says why."""


@dataclass(frozen=True)
class AccessState:
    """What a user may do: the fields an access change touches."""

    is_superuser: bool
    is_staff: bool
    is_active: bool
    group_ids: frozenset[int] = field(default_factory=frozenset)
    permission_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def of(cls, user: User) -> AccessState:
        return cls(
            is_superuser=user.is_superuser,
            is_staff=user.is_staff,
            is_active=user.is_active,
            group_ids=frozenset(user.groups.values_list("id", flat=True)),
            permission_ids=frozenset(user.user_permissions.values_list("id", flat=True)),
        )


@dataclass(frozen=True)
class AccessChangeOutcome:
    applied: bool  # something other than privileged grants changed
    privilege_request: PrivilegeRequest | None  # the privileged part, waiting for approval


def privileged_group_ids() -> frozenset[int]:
    return frozenset(Group.objects.filter(name__in=roles.PRIVILEGED_ROLES).values_list("id", flat=True))


def privileged_permission_ids(permission_ids: frozenset[int] | set[int]) -> frozenset[int]:
    return frozenset(
        Permission.objects.filter(
            id__in=permission_ids, content_type__app_label__in=PRIVILEGED_PERMISSION_APPS
        ).values_list("id", flat=True)
    )


def raises_privileges(*, before: AccessState, after: AccessState) -> bool:
    return bool(
        (after.is_superuser and not before.is_superuser)
        or (after.is_staff and not before.is_staff)
        or (after.is_active and not before.is_active)
        or (after.group_ids - before.group_ids)
        or (after.permission_ids - before.permission_ids)
    )


def may_manage_user(*, actor: User, target: User) -> bool:
    """An administrator manages users whose privileges do not exceed their own (themself included)."""
    if actor.is_superuser:
        return True
    if target.is_superuser:
        return False
    target_roles = set(target.groups.filter(name__in=roles.PRIVILEGED_ROLES).values_list("name", flat=True))
    actor_roles = set(actor.groups.filter(name__in=roles.PRIVILEGED_ROLES).values_list("name", flat=True))
    return target_roles <= actor_roles


def change_user_access(
    *, actor: User, target: User, desired: AccessState, reason: str, now: dt.datetime
) -> AccessChangeOutcome:
    """Apply ``desired`` to ``target`` as far as ``actor`` may; privileged additions become a request."""
    before = AccessState.of(target)
    if target.pk == actor.pk and raises_privileges(before=before, after=desired):
        record_event(
            action=AuditEvent.Action.PRIVILEGE_CHANGE,
            actor=actor,
            target=target,
            outcome=AuditEvent.Outcome.DENIED,
            details={"refused": "raising one's own privileges"},
        )
        raise PrivilegeError("You cannot raise your own privileges: another administrator must make this change.")
    if not may_manage_user(actor=actor, target=target):
        raise PrivilegeError(
            "This user holds privileges you do not have; only an administrator who holds them may change this user."
        )

    added_groups = desired.group_ids - before.group_ids
    added_permissions = desired.permission_ids - before.permission_ids
    privileged_groups = added_groups & privileged_group_ids()
    privileged_permissions = privileged_permission_ids(added_permissions)
    wants_superuser = desired.is_superuser and not before.is_superuser
    needs_approval = bool(wants_superuser or privileged_groups or privileged_permissions)
    if needs_approval and not reason.strip():
        raise PrivilegeError("Granting superuser, a system or security role, or a security permission needs a reason.")

    direct = AccessState(
        is_superuser=desired.is_superuser if not wants_superuser else before.is_superuser,
        is_staff=desired.is_staff,
        is_active=desired.is_active,
        group_ids=desired.group_ids - privileged_groups,
        permission_ids=desired.permission_ids - privileged_permissions,
    )
    request = None
    with transaction.atomic(), acting_as(as_user(actor)):
        changed = _apply(target=target, before=before, after=direct)
        if needs_approval:
            request = PrivilegeRequest.objects.create(
                target=target, requested_by=actor, requested_at=now, grant_superuser=wants_superuser, reason=reason
            )
            request.groups.set(privileged_groups)
            request.permissions.set(privileged_permissions)
            record_event(
                action=AuditEvent.Action.PRIVILEGE_REQUEST,
                actor=actor,
                target=target,
                details=_grant_details(request),
            )
    return AccessChangeOutcome(applied=changed, privilege_request=request)


def approve_privilege_request(
    *, approver: User, privilege_request: PrivilegeRequest, note: str, now: dt.datetime
) -> PrivilegeRequest:
    _refuse_if_expired(privilege_request=privilege_request, now=now)
    with transaction.atomic():
        locked = _decidable(approver=approver, privilege_request=privilege_request, now=now)
        target = User.objects.select_for_update().get(pk=locked.target_id)
        before = AccessState.of(target)
        after = AccessState(
            is_superuser=before.is_superuser or locked.grant_superuser,
            is_staff=before.is_staff or locked.grant_superuser or locked.groups.exists(),
            is_active=before.is_active,
            group_ids=before.group_ids | set(locked.groups.values_list("id", flat=True)),
            permission_ids=before.permission_ids | set(locked.permissions.values_list("id", flat=True)),
        )
        with acting_as(as_user(approver, applying_approved_grant=True)):
            _apply(target=target, before=before, after=after)
        _decide(locked, approver=approver, status=PrivilegeRequest.Status.APPROVED, note=note, now=now)
        record_event(
            action=AuditEvent.Action.PRIVILEGE_APPROVE, actor=approver, target=target, details=_grant_details(locked)
        )
    return locked


def reject_privilege_request(
    *, approver: User, privilege_request: PrivilegeRequest, note: str, now: dt.datetime
) -> PrivilegeRequest:
    _refuse_if_expired(privilege_request=privilege_request, now=now)
    with transaction.atomic():
        locked = _decidable(approver=approver, privilege_request=privilege_request, now=now)
        _decide(locked, approver=approver, status=PrivilegeRequest.Status.REJECTED, note=note, now=now)
        record_event(
            action=AuditEvent.Action.PRIVILEGE_REJECT,
            actor=approver,
            object_type="security.user",
            object_id=str(locked.target_id),
            details=_grant_details(locked),
        )
    return locked


@dataclass(frozen=True)
class Decisions:
    decided: list[PrivilegeRequest]
    refused: list[tuple[PrivilegeRequest, PrivilegeError]]  # each with the reason it could not be decided


def decide_privilege_requests(
    *, approver: User, privilege_requests: Iterable[PrivilegeRequest], approve: bool, note: str, now: dt.datetime
) -> Decisions:
    """Approve (or reject) several requests, each on its own as :func:`approve_privilege_request` /
    :func:`reject_privilege_request` do; one that may not be decided is reported, the others go on.
    Someone who may not decide requests at all is refused before any of them is looked at."""
    if not approver.has_perm("security.approve_privilegerequest"):
        raise PrivilegeError("Only a security administrator may decide privilege requests.")
    decide = approve_privilege_request if approve else reject_privilege_request
    decided, refused = [], []
    for privilege_request in privilege_requests:
        try:
            decided.append(decide(approver=approver, privilege_request=privilege_request, note=note, now=now))
        except PrivilegeError as exc:
            refused.append((privilege_request, exc))
    return Decisions(decided=decided, refused=refused)


def expire_privilege_requests(*, now: dt.datetime) -> int:
    return PrivilegeRequest.objects.filter(
        status=PrivilegeRequest.Status.PENDING, requested_at__lt=now - REQUEST_VALID_FOR
    ).update(status=PrivilegeRequest.Status.EXPIRED, decided_at=now)


def _refuse_if_expired(*, privilege_request: PrivilegeRequest, now: dt.datetime) -> None:
    """Committed on its own, before the refusal: an expired request stays expired."""
    expired = PrivilegeRequest.objects.filter(
        pk=privilege_request.pk, status=PrivilegeRequest.Status.PENDING, requested_at__lt=now - REQUEST_VALID_FOR
    ).update(status=PrivilegeRequest.Status.EXPIRED, decided_at=now)
    if expired:
        raise PrivilegeError("This request has expired; ask for it again.")


def _decidable(*, approver: User, privilege_request: PrivilegeRequest, now: dt.datetime) -> PrivilegeRequest:
    locked = PrivilegeRequest.objects.select_for_update().get(pk=privilege_request.pk)
    if not approver.has_perm("security.approve_privilegerequest"):
        raise PrivilegeError("Only a security administrator may decide privilege requests.")
    if approver.pk in (locked.requested_by_id, locked.target_id):
        raise PrivilegeError("A second, different security administrator must decide this request.")
    if locked.status != PrivilegeRequest.Status.PENDING:
        raise PrivilegeError(f"This request is already {locked.get_status_display()}.")
    return locked


def _decide(request: PrivilegeRequest, *, approver: User, status: str, note: str, now: dt.datetime) -> None:
    request.status = status
    request.decided_by = approver
    request.decided_at = now
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])


def _apply(*, target: User, before: AccessState, after: AccessState) -> bool:
    """Write the difference; the audit rows come from security.signals."""
    changed = False
    flags = {name: getattr(after, name) for name in ("is_superuser", "is_staff", "is_active")}
    if any(getattr(before, name) != value for name, value in flags.items()):
        for name, value in flags.items():
            setattr(target, name, value)
        target.save(update_fields=list(flags))
        changed = True
    if after.group_ids != before.group_ids:
        target.groups.set(after.group_ids)
        changed = True
    if after.permission_ids != before.permission_ids:
        target.user_permissions.set(after.permission_ids)
        changed = True
    return changed


def _grant_details(request: PrivilegeRequest) -> dict:
    return {
        "request": request.pk,
        "superuser": request.grant_superuser,
        "groups": sorted(request.groups.values_list("name", flat=True)),
        "permissions": sorted(
            f"{app}.{codename}"
            for app, codename in request.permissions.values_list("content_type__app_label", "codename")
        ),
    }
