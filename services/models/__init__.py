from .notifications import Notification, NotificationDelivery
from .outages import OutageNotice

__all__ = ["Notification", "NotificationDelivery", "OutageNotice"]
