from customers import access

SESSION_KEY = "current_account"


def current_account(request) -> dict:
    """The business hall's account switcher: bound accounts and the selected one."""
    user = getattr(request, "user", None)
    if user is None or not access.is_portal_customer(user):
        return {}
    accounts = list(access.accounts_visible_to(user=user).select_related("area"))
    # The same rule as every page that acts on "the current account" (billing's usage page, …).
    current = access.current_account(user=user, selected_number=request.session.get(SESSION_KEY)) if accounts else None
    return {"bound_accounts": accounts, "current_account": current}
