import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from security.fields import BlindIndexField, BlindIndexSaveMixin, EncryptedQuerySet, EncryptedTextField


# django-stubs types a from_queryset() class only when it is assigned to a name, never as a base.
class PortalUserManager(UserManager.from_queryset(EncryptedQuerySet)):  # type: ignore[misc]
    pass


class User(BlindIndexSaveMixin, AbstractUser):
    """Staff, customers of the business hall and integrators' API users.

    Customers sign in with their mobile number: it is stored encrypted, found through its blind
    index, and never used as the (plaintext) username — their username is an opaque handle.
    """

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        STAFF = "staff", _("Staff")
        INTEGRATOR = "integrator", _("Integrator")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("public ID"))
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CUSTOMER, verbose_name=_("kind"))
    phone_bidx = BlindIndexField(source="phone", unique=True, verbose_name=_("phone index"))
    phone = EncryptedTextField(_("mobile number"), normalizer="phone")
    email = models.EmailField(_("email address"), blank=True)
    # Bumped by "sign out everywhere" and by every change of the user's roles, permissions or flags:
    # part of the session auth hash, so every existing session of the user ends (security.services.sessions).
    session_epoch = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("session epoch"))

    objects: ClassVar[PortalUserManager] = PortalUserManager()
    # The access flags as stored before this save (security.signals, between pre_save and post_save).
    _access_flags_before: dict[str, Any] | None

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # 双因子认证重置: a security administrator's, never the user's own (security.services.two_factor).
        permissions = [("reset_two_factor", _("Can reset a staff member's two-factor authentication"))]

    def __str__(self) -> str:
        return self.username

    def get_session_auth_hash(self) -> str:
        base = super().get_session_auth_hash()
        if not self.session_epoch:
            return base  # sessions made before epochs existed stay valid
        return salted_hmac(
            "security.User.session_epoch", f"{base}:{self.session_epoch}", algorithm="sha256"
        ).hexdigest()
