from customers.access import accounts_visible_to, is_portal_customer

SESSION_KEY = "current_account"


def current_account(request) -> dict:
    """The business hall's account switcher: bound accounts and the selected one."""
    user = getattr(request, "user", None)
    if user is None or not is_portal_customer(user):
        return {}
    accounts = list(accounts_visible_to(user=user).select_related("area"))
    selected = request.session.get(SESSION_KEY)
    current = next((a for a in accounts if a.number == selected), accounts[0] if accounts else None)
    return {"bound_accounts": accounts, "current_account": current}
