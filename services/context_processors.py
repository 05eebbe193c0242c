from customers.access import is_portal_customer
from services.selectors.inbox import unread_count


def unread_notifications(request) -> dict:
    """The inbox badge in the business hall's header: one COUNT, for signed-in portal customers only."""
    user = getattr(request, "user", None)
    if user is None or not is_portal_customer(user):
        return {}
    return {"unread_notification_count": unread_count(user=user)}
