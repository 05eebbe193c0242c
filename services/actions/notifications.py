# Temporary shim while services/services/ is renamed to services/actions/ on another branch.
from services.services.notifications import notify  # noqa: F401
