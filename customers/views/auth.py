"""Signing up, signing in and changing the password."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _

from customers.access import customer_required
from customers.forms.hall import HallLoginForm, RegisterForm
from customers.services.registration import register_portal_user
from customers.views.rate_limits import LOGIN_RATE, REGISTER_RATE, limit_posts


@limit_posts(group="hall.register", rate=REGISTER_RATE)
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("hall:dashboard")
    form = RegisterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = register_portal_user(
                phone=form.cleaned_data["phone"], password=form.cleaned_data["password"], request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend="security.backends.PhoneOrUsernameBackend")
            messages.success(request, _("Welcome! Your registration is complete. Bind your first account to begin."))
            return redirect("hall:bind")
    return render(request, "customers/register.html", {"form": form})


@method_decorator(limit_posts(group="hall.login", rate=LOGIN_RATE), name="dispatch")
class HallLoginView(auth_views.LoginView):
    template_name = "customers/login.html"
    authentication_form = HallLoginForm
    redirect_authenticated_user = True


class HallPasswordChangeView(auth_views.PasswordChangeView):
    template_name = "customers/password_change.html"
    success_url = reverse_lazy("hall:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


password_change = customer_required(HallPasswordChangeView.as_view())
