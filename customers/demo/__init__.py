"""The customers app's part of ``manage.py seed_demo``: deterministic demo data for the business hall and
the staff console, the demo logins, and the hook that lets the apps above add theirs.

* :mod:`~customers.demo.reference` — places, identifier regions, names, capacities, CRM topics;
* :mod:`~customers.demo.dataset` — the dataset, generated in memory (pure: same seed and ``as_of``, same data);
* :mod:`~customers.demo.writing` — storing it with ``bulk_create`` (personal fields encrypted as on ``save()``);
* :mod:`~customers.demo.users` — the demo users and their printed logins;
* :mod:`~customers.demo.app_seeders` — the other apps' seeders, by dotted path (``AppConfig.demo_seeder``).

Nothing under ``customers.services`` imports this package; the names below are its public entry points.
"""

from customers.demo.app_seeders import run_app_demo_seeders
from customers.demo.dataset import DemoDataset, gb11714_check_char, generate_demo_dataset, weighted_choice
from customers.demo.reference import BIRTH_FROM, BIRTH_TO
from customers.demo.users import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_USERNAME,
    DEMO_CUSTOMER_PASSWORD,
    DEMO_CUSTOMER_PHONE,
    DEMO_CUSTOMER_USERNAME,
    DEMO_STAFF_PASSWORD,
    DemoLogin,
    demo_logins,
    demo_users_exist,
    staff_username_for,
)
from customers.demo.writing import (
    BindingExample,
    SeedResult,
    binding_example,
    database_has_customers,
    seed_demo,
    write_demo_dataset,
)

__all__ = [
    "BIRTH_FROM",
    "BIRTH_TO",
    "DEMO_ADMIN_PASSWORD",
    "DEMO_ADMIN_USERNAME",
    "DEMO_CUSTOMER_PASSWORD",
    "DEMO_CUSTOMER_PHONE",
    "DEMO_CUSTOMER_USERNAME",
    "DEMO_STAFF_PASSWORD",
    "BindingExample",
    "DemoDataset",
    "DemoLogin",
    "SeedResult",
    "binding_example",
    "database_has_customers",
    "demo_logins",
    "demo_users_exist",
    "gb11714_check_char",
    "generate_demo_dataset",
    "run_app_demo_seeders",
    "seed_demo",
    "staff_username_for",
    "weighted_choice",
    "write_demo_dataset",
]
