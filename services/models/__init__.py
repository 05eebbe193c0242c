from .demand_response import (
    DREnrolment,
    DREvent,
    DRParticipation,
    DRParticipationChange,
    DRProgram,
    DRProgramTerms,
    DRSettlement,
)
from .knowledge import Article
from .notifications import Notification, NotificationDelivery
from .outages import OutageNotice
from .requests import (
    RequestAttachment,
    RequestEvent,
    RequestStep,
    ScheduledAccountChange,
    ServiceRequest,
    ServiceType,
    StaffCoverage,
    WorkflowStep,
    WorkflowTransition,
)

__all__ = [
    "Article",
    "DREnrolment",
    "DREvent",
    "DRParticipation",
    "DRParticipationChange",
    "DRProgram",
    "DRProgramTerms",
    "DRSettlement",
    "Notification",
    "NotificationDelivery",
    "OutageNotice",
    "RequestAttachment",
    "RequestEvent",
    "RequestStep",
    "ScheduledAccountChange",
    "ServiceRequest",
    "ServiceType",
    "StaffCoverage",
    "WorkflowStep",
    "WorkflowTransition",
]
