from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_catalogue(sender, using="default", **kwargs) -> None:
    from django.utils import translation

    from services.actions.catalogue_sync import sync_catalogue

    # The rows keep the English source strings; pages translate them through gettext.
    with translation.override("en"):
        sync_catalogue(using=using)


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Services")
    # Called by customers' seed_demo after customers, billing and analytics have seeded (dotted path).
    demo_seeder = "services.demo.seed_services_demo"

    def ready(self) -> None:
        post_migrate.connect(_sync_catalogue, sender=self, dispatch_uid="services.sync_catalogue")
        from services.views.dashboard import register_panels

        register_panels()
