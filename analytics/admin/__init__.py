from analytics.admin import segments  # noqa: F401
