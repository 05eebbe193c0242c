from analytics.admin import (
    lineloss,  # noqa: F401
    segments,  # noqa: F401
)
