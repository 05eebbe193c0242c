from .audit import AuditArchive, AuditEvent
from .privileges import PrivilegeRequest
from .users import User

__all__ = ["AuditArchive", "AuditEvent", "PrivilegeRequest", "User"]
