from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"
    # Called by customers' seed_demo after billing's demo data (dotted path: customers must not import analytics).
    demo_seeder = "analytics.services.forecasting.seed_forecasting_demo"
