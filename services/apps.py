from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = "Services"
    # Called by customers' seed_demo after customers and accounts exist (by dotted path).
    demo_seeder = "services.services.demo_notices.seed_notices_demo"
