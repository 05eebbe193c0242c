"""The customer's profile: masked phone, password link and notification preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.access import accounts_visible_to, customer_required
from customers.forms.hall import NotificationPreferencesForm
from customers.services.preferences import get_notification_preferences, set_notification_preferences
from security.masking import mask_phone
from security.models import User
from security.services.sessions import sign_out_everywhere


@customer_required
def profile(request: HttpRequest) -> HttpResponse:
    """Masked phone, password link, and the notification-preferences grid (saved on POST)."""
    form = NotificationPreferencesForm(
        request.POST if request.method == "POST" else None, initial_grid=get_notification_preferences(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        set_notification_preferences(user=request.user, enabled=form.enabled_pairs())
        messages.success(request, _("Your notification preferences have been saved."))
        return redirect("hall:profile")
    assert isinstance(request.user, User)  # customer_required let only a signed-in customer in
    context = {
        "form": form,
        "masked_phone": mask_phone(request.user.phone),
        "account_count": accounts_visible_to(user=request.user).count(),
    }
    return render(request, "customers/profile.html", context)


@require_POST
@login_required
def sign_out_everywhere_view(request: HttpRequest) -> HttpResponse:
    """Every session of this login ends (staff may post here too); then the login page."""
    sign_out_everywhere(request=request)
    messages.success(request, _("You have been signed out everywhere."))
    return redirect("hall:login")
