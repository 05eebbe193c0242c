"""Payment gateway endpoints: the asynchronous notification (server to server) and the sandbox
gateway's own pay page. Thin: one service call each."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

from billing.services.gateways import get_gateway
from billing.services.payments import handle_gateway_callback, sandbox_finish_checkout, sandbox_transaction_for
from core import clock


@csrf_exempt  # the gateway cannot send our CSRF token; the signature authenticates it instead
def gateway_notify(request, gateway: str):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if request.content_type == "application/json":
        try:
            params = json.loads(request.body or b"{}")
        except ValueError:
            return HttpResponse("fail", status=400, content_type="text/plain")
    else:
        params = request.POST.dict()
    if not isinstance(params, dict):
        return HttpResponse("fail", status=400, content_type="text/plain")
    outcome = handle_gateway_callback(params={k: str(v) for k, v in params.items()}, as_of=clock.now())
    # "success" only after our transaction committed; anything else makes the gateway retry or alert.
    return HttpResponse(
        "success" if outcome.accepted else "fail", status=200 if outcome.accepted else 400, content_type="text/plain"
    )


@login_required
def sandbox_checkout(request, order_no: str):
    """The sandbox gateway's page: only the owner of the bill's account, logged in, may pay or fail it."""
    if not get_gateway().is_test:
        raise Http404
    if request.method == "POST":
        txn = sandbox_finish_checkout(
            user=request.user, order_no=order_no, succeed=request.POST.get("outcome") == "pay"
        )
        return redirect(f"{txn.return_url}?order_no={order_no}")
    txn = sandbox_transaction_for(user=request.user, order_no=order_no)
    return render(request, "billing/sandbox_checkout.html", {"txn": txn})
