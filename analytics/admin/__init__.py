from analytics.admin import lineloss  # noqa: F401
