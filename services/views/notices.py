"""The business hall's outage notices page (停电通知): current and upcoming notices for the accounts
bound to the customer, each naming which of their accounts it affects."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core import clock
from customers.access import bound_accounts_for_request, customer_required
from services.selectors.notices import current_notices_with_accounts


@customer_required
def notices(request: HttpRequest) -> HttpResponse:
    items = current_notices_with_accounts(
        user=request.user, as_of=clock.now(), accounts=bound_accounts_for_request(request)
    )
    return render(request, "services/notices/list.html", {"items": items})
