from .audit import AuditEvent
from .users import User

__all__ = ["AuditEvent", "User"]
