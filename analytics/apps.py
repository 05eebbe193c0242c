from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")
    # Called by customers' seed_demo after billing's demo data (by dotted path: customers must not
    # import analytics): line loss and segmentation over the demo curves.
    demo_seeder = "analytics.demo.seed_analytics_demo"
