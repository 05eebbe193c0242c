from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = _("Security")

    def ready(self) -> None:
        from core.idempotency import BodyCipher, register_body_cipher

        from . import checks, signals  # noqa: F401  (register system checks and audit receivers)
        from .crypto import decrypt, encrypt

        # Idempotency records seal the responses they replay under the field-encryption keys.
        register_body_cipher(BodyCipher(encrypt=encrypt, decrypt=decrypt))
