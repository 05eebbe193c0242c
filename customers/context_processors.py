from customers import access


def current_account(request) -> dict:
    """The business hall's account switcher: bound accounts and the selected one."""
    user = getattr(request, "user", None)
    if user is None or not access.is_portal_customer(user):
        return {}
    accounts = list(access.accounts_visible_to(user=user).select_related("area"))
    # The same account every page acts on ("the current account"), looked up once per request.
    current = access.current_account_for_request(request) if accounts else None
    return {"bound_accounts": accounts, "current_account": current}
