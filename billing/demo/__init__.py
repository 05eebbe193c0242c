"""The billing app's part of ``manage.py seed_demo``: meters and a year of meter data (``metering``),
then tariffs, bills and payments (``bills``). Found through ``BillingConfig.demo_seeder``; services
never import demo code."""
