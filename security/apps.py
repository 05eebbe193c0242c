from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (register system checks and audit receivers)
