"""Audit receivers: logins, and every change of a user's flags, roles and permissions (and of a role's
permissions), whichever code path makes it. The same receivers refuse, while someone is acting through
the web, a user raising their own privileges and any privileged grant that was not approved."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from core import clock
from security import roles
from security.context import current_actor
from security.models import AuditEvent, User
from security.services.audit import record_event
from security.services.sessions import SEEN_KEY, STARTED_KEY, end_all_sessions

ACCESS_FLAGS = ("is_superuser", "is_staff", "is_active")
PRIVILEGED_PERMISSION_APPS = ("security", "auth")


@receiver(user_logged_in)
def _audit_login(sender, request, user, **kwargs) -> None:
    # login() has rotated the session key; the lifetime clocks start again now (an interface event).
    if request is not None and hasattr(request, "session"):
        request.session[STARTED_KEY] = request.session[SEEN_KEY] = clock.now().timestamp()
    record_event(action=AuditEvent.Action.LOGIN, actor=user, target=user, request=request)


@receiver(user_logged_out)
def _audit_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        record_event(action=AuditEvent.Action.LOGOUT, actor=user, target=user, request=request)


@receiver(user_login_failed)
def _audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django already masks the password; the username may be a phone number, so store only a hash.
    from security.backends import axes_username_from_credentials

    record_event(
        action=AuditEvent.Action.LOGIN_FAILED,
        outcome=AuditEvent.Outcome.FAILURE,
        request=request,
        details={"attempted": axes_username_from_credentials(credentials)},
    )


def _acting_user():
    actor = current_actor()
    if actor is None:
        return None, None
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    return actor, user


def _refuse(*, target_id: int | None, raising: bool, privileged: bool, what: str) -> None:
    """Only inside a request or service (an actor is set); shells and migrations are trusted operators."""
    actor, user = _acting_user()
    if actor is None or actor.applying_approved_grant:
        return
    if raising and user is not None and target_id is not None and user.pk == target_id:
        raise PermissionDenied(f"You cannot raise your own privileges ({what}).")
    if privileged:
        raise PermissionDenied(
            f"Granting {what} needs a privilege request approved by a second security administrator."
        )


def _audit_change(*, object_type: str, object_id: int, details: dict, instance: User | None = None) -> None:
    _, user = _acting_user()
    # Whoever's privileges changed signs in again: every session they hold ends (session rotation).
    if object_type == "security.user" and not details.get("created"):
        end_all_sessions(user_ids=[object_id], instances=[instance] if instance is not None else [])
    elif object_type == "auth.group":
        end_all_sessions(user_ids=User.objects.filter(groups=object_id).values_list("pk", flat=True))
    record_event(
        action=AuditEvent.Action.PRIVILEGE_CHANGE,
        actor=user,
        object_type=object_type,
        object_id=str(object_id),
        details=details,
    )


@receiver(pre_save, sender=User)
def _remember_access_flags(sender, instance: User, update_fields=None, **kwargs) -> None:
    instance._access_flags_before = None
    if instance.pk is None or (update_fields is not None and not set(update_fields) & set(ACCESS_FLAGS)):
        return  # e.g. the last_login update of every login: no extra query
    before = User.objects.filter(pk=instance.pk).values(*ACCESS_FLAGS).first()
    if before is None:
        return
    instance._access_flags_before = before
    raised = [name for name in ACCESS_FLAGS if getattr(instance, name) and not before[name]]
    if raised:
        _refuse(
            target_id=instance.pk,
            raising=True,
            privileged="is_superuser" in raised,
            what="superuser" if "is_superuser" in raised else ", ".join(raised),
        )


@receiver(post_save, sender=User)
def _audit_access_flags(sender, instance: User, created: bool, **kwargs) -> None:
    before = getattr(instance, "_access_flags_before", None)
    after = {name: getattr(instance, name) for name in ACCESS_FLAGS}
    if created:
        if any(after[name] for name in ("is_superuser", "is_staff")):
            _audit_change(object_type="security.user", object_id=instance.pk, details={"created": True, "after": after})
        return
    if before is None:
        return
    changed = {
        name: {"before": before[name], "after": after[name]} for name in ACCESS_FLAGS if before[name] != after[name]
    }
    if changed:
        _audit_change(object_type="security.user", object_id=instance.pk, details={"flags": changed}, instance=instance)


def _names(model, ids) -> list[str]:
    if model is Group:
        return sorted(Group.objects.filter(id__in=ids).values_list("name", flat=True))
    if model is Permission:
        return sorted(
            f"{app}.{code}"
            for app, code in Permission.objects.filter(id__in=ids).values_list("content_type__app_label", "codename")
        )
    return sorted(str(i) for i in ids)


def _privileged_ids(model, ids) -> bool:
    if model is Group:
        return Group.objects.filter(id__in=ids, name__in=roles.PRIVILEGED_ROLES).exists()
    if model is Permission:
        return Permission.objects.filter(id__in=ids, content_type__app_label__in=PRIVILEGED_PERMISSION_APPS).exists()
    return False


def _m2m_receiver(*, field: str, related_model) -> None:
    """One receiver per user m2m (groups, user_permissions), seen from either side."""

    def current_ids(user_id: int) -> set[int]:
        return set(getattr(User.objects.get(pk=user_id), field).values_list("id", flat=True))

    def receiver_fn(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
        if action not in ("pre_add", "pre_remove", "pre_clear", "post_add", "post_remove", "post_clear"):
            return
        # Normalise to (user ids, related ids): forward is user.groups.add(g), reverse is group.user_set.add(u).
        if reverse:
            user_ids = set(pk_set or instance.user_set.values_list("id", flat=True))
            related_ids = {instance.pk}
        else:
            user_ids = {instance.pk}
            related_ids = set(pk_set or [])
        if action == "pre_add":
            privileged = _privileged_ids(related_model, related_ids)
            for user_id in user_ids:
                _refuse(
                    target_id=user_id,
                    raising=True,
                    privileged=privileged,
                    what=", ".join(_names(related_model, related_ids)),
                )
        if action.startswith("pre_"):
            instance._m2m_before = {user_id: current_ids(user_id) for user_id in user_ids}
            return
        befores = getattr(instance, "_m2m_before", {})
        for user_id in user_ids:
            before = befores.get(user_id, set())
            after = current_ids(user_id)
            if before != after:
                _audit_change(
                    object_type="security.user",
                    object_id=user_id,
                    instance=None if reverse else instance,
                    details={field: {"before": _names(related_model, before), "after": _names(related_model, after)}},
                )

    m2m_changed.connect(receiver_fn, sender=getattr(User, field).through, weak=False, dispatch_uid=f"audit-{field}")


_m2m_receiver(field="groups", related_model=Group)
_m2m_receiver(field="user_permissions", related_model=Permission)


@receiver(m2m_changed, sender=Group.permissions.through)
def _audit_role_permissions(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """A role's permissions are everyone's in it: audited, and privileged additions refused on the web."""
    if reverse or action not in ("pre_add", "pre_remove", "pre_clear", "post_add", "post_remove", "post_clear"):
        return
    if action == "pre_add":
        _refuse(
            target_id=None,
            raising=False,
            privileged=_privileged_ids(Permission, pk_set or []),
            what="a security permission to a role",
        )
    if action.startswith("pre_"):
        instance._permissions_before = set(instance.permissions.values_list("id", flat=True))
        return
    before: set[int] = getattr(instance, "_permissions_before", set())
    after = set(instance.permissions.values_list("id", flat=True))
    if before != after:
        _audit_change(
            object_type="auth.group",
            object_id=instance.pk,
            details={
                "role": instance.name,
                "permissions": {"before": _names(Permission, before), "after": _names(Permission, after)},
            },
        )
