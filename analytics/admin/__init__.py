from analytics.admin import forecasting  # noqa: F401
