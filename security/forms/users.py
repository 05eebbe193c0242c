"""The staff console's user form: who may change whose roles, permissions and status is decided by
security.services.privileges; the form asks for a reason and refuses raising one's own privileges."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserChangeForm
from django.utils.translation import gettext_lazy as _

from security.models import User
from security.services.privileges import AccessState, raises_privileges


class UserAccessForm(UserChangeForm):
    privilege_reason = forms.CharField(
        label=_("Reason for a privileged grant"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Superuser, the system/security roles and security permissions are granted only after a second "
            "security administrator approves; say why they are needed."
        ),
    )


def checked_access_form(form_class: type[forms.ModelForm], *, user: User, actor: User) -> type[forms.ModelForm]:
    """``form_class`` (the admin's form for changing ``user``) that also works out the access the change
    asks for (``desired_access``) and refuses, as a form error, ``actor`` raising their own privileges."""

    # A subclass of a class known only at run time: mypy cannot check it, the tests do.
    class CheckedAccessForm(form_class):  # type: ignore[valid-type,misc]
        def clean(self):
            cleaned = super().clean()
            if "groups" in cleaned and "user_permissions" in cleaned:
                self.desired_access = AccessState(
                    is_superuser=cleaned.get("is_superuser", user.is_superuser),
                    is_staff=cleaned.get("is_staff", user.is_staff),
                    is_active=cleaned.get("is_active", user.is_active),
                    group_ids=frozenset(group.pk for group in cleaned["groups"]),
                    permission_ids=frozenset(permission.pk for permission in cleaned["user_permissions"]),
                )
                if user.pk == actor.pk and raises_privileges(before=AccessState.of(user), after=self.desired_access):
                    raise forms.ValidationError(
                        _("You cannot raise your own privileges: another administrator must make this change.")
                    )
            return cleaned

    CheckedAccessForm.__name__ = form_class.__name__
    return CheckedAccessForm
