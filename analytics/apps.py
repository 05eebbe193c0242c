from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"
    # Called by customers' seed_demo after billing's demo data (by dotted path: customers must not
    # import analytics): runs the customer segmentation on the demo curves.
    demo_seeder = "analytics.services.segments.seed_segments_demo"
