from customers import access


def current_account(request) -> dict:
    """The business hall's account switcher: bound accounts and the selected one."""
    user = getattr(request, "user", None)
    if user is None or not access.is_portal_customer(user):
        return {}
    # One query per request for both: the bound accounts, and the current one picked among them.
    accounts = access.bound_accounts_for_request(request)
    current = access.current_account_for_request(request) if accounts else None
    return {"bound_accounts": accounts, "current_account": current}
