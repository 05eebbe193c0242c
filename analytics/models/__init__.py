from analytics.models.dashboard import DashboardAccess  # noqa: F401
