"""Staff console for users, privilege requests and the (read-only) audit log."""

from __future__ import annotations

import datetime as dt
import json
import re

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from core import clock
from core.time import local_time_named
from core.web.admin import ReadOnlyAdmin
from security.forms.users import UserAccessForm, checked_access_form
from security.masking import mask_phone
from security.models import AuditEvent, PrivilegeRequest, User
from security.services.privileges import (
    PrivilegeError,
    change_user_access,
    decide_privilege_requests,
    may_manage_user,
)
from security.services.two_factor import TwoFactorRefused, reset_two_factor


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    form = UserAccessForm
    list_display = ["username", "kind", "phone_masked", "is_staff", "is_active", "last_login"]
    list_filter = ["kind", "is_staff", "is_active", "groups"]
    search_fields = ["username", "first_name", "last_name"]
    readonly_fields = ["public_id", "phone_masked", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["username", "password", "kind", "public_id", "phone_masked"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "email"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions", "privilege_reason"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]

    actions = ["reset_two_factor_selected"]

    @admin.display(description=_("mobile"))
    def phone_masked(self, obj: User) -> str:
        return mask_phone(obj.phone)

    @admin.action(description=_("Reset two-factor authentication (they enrol again)"), permissions=["reset_two_factor"])
    def reset_two_factor_selected(self, request, queryset):
        done = 0
        for user in queryset:
            try:
                reset_two_factor(target=user, by=request.user, request=request)
            except TwoFactorRefused as refused:
                messages.error(request, f"{user}: {refused}")
            else:
                done += 1
        if done:
            messages.success(request, _("Two-factor authentication reset for %(count)d user(s).") % {"count": done})

    def has_reset_two_factor_permission(self, request) -> bool:
        return request.user.has_perm("security.reset_two_factor")

    def has_change_permission(self, request, obj=None) -> bool:
        # Also guards the password-change page: no taking over an account more privileged than one's own.
        if obj is not None and not may_manage_user(actor=request.user, target=obj):
            return False
        return super().has_change_permission(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        if obj is None:
            return form_class
        return checked_access_form(form_class, user=obj, actor=request.user)

    def save_model(self, request, obj, form, change):
        if change:
            # Flags, roles and permissions go through change_user_access (save_related), never the form.
            stored = User.objects.get(pk=obj.pk)
            obj.is_superuser, obj.is_staff, obj.is_active = stored.is_superuser, stored.is_staff, stored.is_active
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        desired = getattr(form, "desired_access", None)
        if change and desired is not None:
            for name in ("groups", "user_permissions"):
                form.cleaned_data.pop(name, None)
        super().save_related(request, form, formsets, change)
        if not change or desired is None:
            return
        try:
            outcome = change_user_access(
                actor=request.user,
                target=form.instance,
                desired=desired,
                reason=form.cleaned_data.get("privilege_reason", ""),
                now=clock.now(),
            )
        except PrivilegeError as exc:
            messages.error(request, str(exc))
            return
        if outcome.privilege_request is not None:
            messages.warning(
                request,
                _("The privileged part of this change waits for a second security administrator (request %(id)s).")
                % {"id": outcome.privilege_request.pk},
            )


@admin.register(PrivilegeRequest)
class PrivilegeRequestAdmin(ReadOnlyAdmin):
    """Requests are made from the user's change form and decided by the actions, never edited."""

    list_display = [
        "id",
        "target",
        "grant_superuser",
        "requested_by",
        "requested_at",
        "status",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status", "grant_superuser", "requested_at"]
    search_fields = ["target__username", "requested_by__username"]
    list_select_related = ["target", "requested_by", "decided_by"]
    actions = ["approve_selected", "reject_selected"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["groups", "permissions"]

    def _decide(self, request, queryset, *, approve: bool, done: str) -> None:
        decisions = decide_privilege_requests(
            approver=request.user, privilege_requests=queryset, approve=approve, note="", now=clock.now()
        )
        for privilege_request, error in decisions.refused:
            messages.error(request, f"{privilege_request}: {error}")
        if decisions.decided:
            messages.success(request, done % {"count": len(decisions.decided)})

    @admin.action(description=_("Approve and apply selected requests"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        self._decide(request, queryset, approve=True, done=_("%(count)d request(s) approved and applied."))

    @admin.action(description=_("Reject selected requests"), permissions=["approve"])
    def reject_selected(self, request, queryset):
        self._decide(request, queryset, approve=False, done=_("%(count)d request(s) rejected."))

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("security.approve_privilegerequest")


_ISO_MOMENT = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})")


def zoned(moment: dt.datetime | None) -> str:
    """An aware moment in the viewer's time zone with the zone named (core.time.local_time_named)."""
    return "—" if moment is None else local_time_named(moment)


def _zoned_iso(match: re.Match) -> str:
    text = match.group(0).replace("Z", "+00:00")
    try:
        return zoned(dt.datetime.fromisoformat(text))
    except ValueError:
        return match.group(0)


def zoned_details(value):
    """The event's details with every ISO moment carrying an offset (written in UTC or local time by
    whoever recorded it) shown in the viewer's time zone, so one page never mixes zones."""
    if isinstance(value, dict):
        return {k: zoned_details(v) for k, v in value.items()}
    if isinstance(value, list):
        return [zoned_details(v) for v in value]
    if isinstance(value, str):
        return _ISO_MOMENT.sub(_zoned_iso, value)
    return value


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: nobody, not even a superuser, adds, edits or deletes audit events here. Every time is
    shown in the viewer's time zone with the zone named."""

    list_display = ["occurred", "actor_label", "action", "outcome", "object_type", "object_id", "source_ip"]
    list_filter = ["action", "outcome", "object_type", "occurred_at"]
    search_fields = ["actor_label", "object_id", "source_ip"]
    date_hierarchy = "occurred_at"
    list_per_page = 100

    def get_readonly_fields(self, request, obj=None):
        return [
            "occurred" if field.name == "occurred_at" else "details_shown" if field.name == "details" else field.name
            for field in self.model._meta.fields
        ] + ["occurred_utc"]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("occurred at"), ordering="occurred_at")
    def occurred(self, obj: AuditEvent) -> str:
        return zoned(obj.occurred_at)

    @admin.display(description=_("time (UTC, as stored)"))
    def occurred_utc(self, obj: AuditEvent) -> str:
        return obj.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")

    @admin.display(description=_("details"))
    def details_shown(self, obj: AuditEvent) -> str:
        return json.dumps(zoned_details(obj.details), ensure_ascii=False, indent=2, sort_keys=True)
