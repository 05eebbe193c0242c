from analytics.admin import (
    forecasting,  # noqa: F401
    lineloss,  # noqa: F401
    segments,  # noqa: F401
)
