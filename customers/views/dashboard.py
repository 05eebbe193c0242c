"""The business hall's root URL: a landing page for visitors, the dashboard for customers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from customers.access import is_portal_customer
from customers.selectors.accounts import bindings_of


def dashboard(request: HttpRequest) -> HttpResponse:
    """The root URL: a landing page for visitors, one card per bound account for a customer."""
    if not request.user.is_authenticated:
        return render(request, "customers/landing.html")
    if not is_portal_customer(request.user):
        return render(request, "customers/not_customer.html", status=403)
    return render(request, "customers/dashboard.html", {"bindings": bindings_of(user=request.user)})
