from .accounts import Account
from .crm import Interaction, Tag
from .customers import Customer
from .grid import Feeder, TransformerArea
from .portal import NotificationPreference, PortalBinding, PrivacyConsent

__all__ = [
    "Account",
    "Customer",
    "Feeder",
    "Interaction",
    "NotificationPreference",
    "PortalBinding",
    "PrivacyConsent",
    "Tag",
    "TransformerArea",
]
