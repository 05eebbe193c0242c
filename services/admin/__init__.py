"""The services app's staff console, one module per topic; importing them registers the ModelAdmins."""

from services.admin import (
    catalogue,  # noqa: F401
    demand_response,  # noqa: F401
    knowledge,  # noqa: F401
    notices,  # noqa: F401
    notifications,  # noqa: F401
    openadr,  # noqa: F401
    requests,  # noqa: F401
)
