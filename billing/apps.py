from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")
    # Called by customers' seed_demo after it has seeded customers and accounts (by dotted path:
    # customers must not import billing).
    demo_seeder = "billing.demo.bills.seed_billing_demo"

    def ready(self) -> None:
        from billing import checks, signals  # noqa: F401 - the payment gateway check; audit receivers
