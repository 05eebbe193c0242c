from .audit import AuditEvent
from .privileges import PrivilegeRequest
from .users import User

__all__ = ["AuditEvent", "PrivilegeRequest", "User"]
