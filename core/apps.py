from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from core import logs, signals  # noqa: F401 - calendar override cache invalidation

        logs.install()  # no personal data in any log record of this process
