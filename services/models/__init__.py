from .knowledge import Article
from .notifications import Notification, NotificationDelivery
from .outages import OutageNotice

__all__ = ["Article", "Notification", "NotificationDelivery", "OutageNotice"]
