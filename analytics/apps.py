from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"
    # Called by customers' seed_demo after billing's seeder has written the meter data.
    demo_seeder = "analytics.services.lineloss.seed_line_loss_demo"
