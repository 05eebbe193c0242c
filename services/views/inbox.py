"""The business hall's inbox (消息中心): the user's own notifications, unread first; opening one marks
it read; "mark all read". Every lookup is by (user, id), so another user's notification is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import clock
from services.actions.notifications import mark_all_read, mark_read
from services.selectors.inbox import inbox_for, unread_count

PAGE_SIZE = 20


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(inbox_for(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "services/inbox/list.html", {"page": page, "unread": unread_count(user=request.user)})


@login_required
def notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Opening a notification reads it (marking it read is idempotent, so a reload changes nothing)."""
    found = inbox_for(user=request.user).filter(pk=notification_id).first()
    if found is None:
        raise Http404("No such notification")
    if found.read_at is None:
        mark_read(user=request.user, notification_ids=[found.pk], as_of=clock.now())
        found.refresh_from_db(fields=["read_at"])
    # Links are written by our own services; only a site path is ever made clickable.
    link = found.link if found.link.startswith("/") and not found.link.startswith("//") else ""
    return render(request, "services/inbox/detail.html", {"notification": found, "link": link})


@require_POST
@login_required
def read_all(request: HttpRequest) -> HttpResponse:
    count = mark_all_read(user=request.user, as_of=clock.now())
    messages.success(request, _("%(count)d message(s) marked as read.") % {"count": count})
    return redirect("inbox:list")
