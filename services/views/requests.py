"""Business-hall pages for online service requests (业务办理): choose a service, apply with documents,
follow my requests on a progress timeline, cancel, answer a return, rate the finished service, and
download a request's files through an access-checked view.

Thin: fetch through services.selectors.requests (a customer only reaches the requests they filed;
anyone else's answers 404, never 403, so numbers cannot be probed), and make each write one call to
the workflow services. Pages read the clock; the services take it as ``as_of``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import clock
from customers.access import current_account_for_request, customer_required
from services import catalogue
from services.actions.applications import DocumentRefused, apply_for_service, resubmit_with_documents
from services.actions.attachments import attachment_path
from services.actions.requests import TransitionRefused, allowed_transitions, rate_request, transition_request
from services.forms.requests import ApplicationForm, CancelForm, NoteForm, RateForm, ResubmitForm
from services.models import RequestAttachment, ServiceRequest
from services.selectors import requests as selectors
from services.selectors.catalogue import catalogue_groups, document_label, offered_type
from services.selectors.knowledge import guides_for
from services.sla import due_day


def _own_request(request: HttpRequest, number: str) -> ServiceRequest:
    try:
        return selectors.access_request(user=request.user, number=number)
    except ServiceRequest.DoesNotExist:
        raise Http404("No such request") from None


@customer_required
def choose_service(request: HttpRequest) -> HttpResponse:
    return render(request, "services/requests/choose.html", {"groups": catalogue_groups()})


@customer_required
def apply(request: HttpRequest, code: str) -> HttpResponse:
    service_type = offered_type(code=code)
    if service_type is None:
        raise Http404("No such service")
    accounts = selectors.accounts_for_service(user=request.user)
    if service_type.needs_account and not accounts:
        return render(request, "services/requests/apply.html", {"service_type": service_type, "no_account": True})
    current = current_account_for_request(request)
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        service_type=service_type,
        accounts=accounts,
        current=current,
    )
    if request.method == "POST" and form.is_valid():
        try:
            service_request = apply_for_service(
                applicant=request.user,
                service_type_code=service_type.code,
                form=form.answers(),
                documents=form.uploaded_documents(),
                account_number=form.cleaned_data.get("account_number") or None,
                as_of=clock.now(),
            )
        except DocumentRefused as refused:
            form.add_document_error(document_type=refused.document_type, messages=refused.messages)
        except ValidationError as error:
            for name, field_messages in error.message_dict.items():
                form.add_error(name if name in form.fields else None, field_messages)
        else:
            messages.success(
                request,
                _("Your request %(number)s has been submitted. We will tell you at every step.")
                % {"number": service_request.number},
            )
            return redirect("service_hall:detail", number=service_request.number)
    context = {
        "service_type": service_type,
        "type_name": _(service_type.name),
        "description": _(service_type.description) if service_type.description else "",
        "form": form,
        "guides": guides_for(service_type=service_type),
    }
    return render(request, "services/requests/apply.html", context)


@customer_required
def my_requests(request: HttpRequest) -> HttpResponse:
    rows = selectors.request_rows(requests=selectors.my_requests(user=request.user)[:200])
    return render(request, "services/requests/list.html", {"rows": rows})


@customer_required
def detail(request: HttpRequest, number: str) -> HttpResponse:
    service_request = _own_request(request, number)
    return _render_detail(request, service_request)


def _render_detail(request: HttpRequest, service_request: ServiceRequest, **forms) -> HttpResponse:
    actions = {t.action for t in allowed_transitions(user=request.user, service_request=service_request)}
    missing = selectors.missing_documents(service_request=service_request)
    rows = selectors.request_rows(requests=[service_request])
    context = {
        "sr": service_request,
        "row": rows[0],
        "answers": selectors.answers(service_request=service_request),
        "documents": selectors.documents(service_request=service_request),
        "missing": [document_label(code) for code in missing],
        "timeline": selectors.timeline(service_request=service_request),
        "closing_event": selectors.closing_event(service_request=service_request),
        "due_day": due_day(service_request.due_at) if service_request.due_at else None,
        "can_cancel": "cancel" in actions,
        # A step the applicant finishes themself (a high-voltage customer's own construction).
        "can_finish_step": "advance" in actions,
        "finish_form": forms.get("finish_form") or NoteForm(),
        "can_resubmit": "resubmit" in actions,
        "can_rate": service_request.status == catalogue.COMPLETED and service_request.rating is None,
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "resubmit_form": forms.get("resubmit_form")
        or ResubmitForm(service_type=service_request.service_type, missing=missing),
        "rate_form": forms.get("rate_form") or RateForm(),
    }
    return render(request, "services/requests/detail.html", context)


@require_POST
@customer_required
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    service_request = _own_request(request, number)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, service_request, cancel_form=form)
    try:
        transition_request(
            actor=request.user,
            service_request_id=service_request.pk,
            action="cancel",
            note=form.cleaned_data["note"],
            as_of=clock.now(),
        )
    except TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Request %(number)s is cancelled.") % {"number": number})
    return redirect("service_hall:detail", number=number)


@require_POST
@customer_required
def finish_step(request: HttpRequest, number: str) -> HttpResponse:
    service_request = _own_request(request, number)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, service_request, finish_form=form)
    try:
        transition_request(
            actor=request.user,
            service_request_id=service_request.pk,
            action="advance",
            note=form.cleaned_data["note"],
            as_of=clock.now(),
        )
    except TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Thank you. We have been told and will take the next step."))
    return redirect("service_hall:detail", number=number)


@require_POST
@customer_required
def resubmit(request: HttpRequest, number: str) -> HttpResponse:
    service_request = _own_request(request, number)
    form = ResubmitForm(
        request.POST,
        request.FILES,
        service_type=service_request.service_type,
        missing=selectors.missing_documents(service_request=service_request),
    )
    if form.is_valid():
        try:
            resubmit_with_documents(
                applicant=request.user,
                service_request_id=service_request.pk,
                documents=form.uploaded_documents(),
                note=form.cleaned_data["note"],
                as_of=clock.now(),
            )
        except DocumentRefused as refused:
            form.add_document_error(document_type=refused.document_type, messages=refused.messages)
        except TransitionRefused as refused:
            messages.error(request, refused.message)
            return redirect("service_hall:detail", number=number)
        else:
            messages.success(request, _("Request %(number)s is submitted again.") % {"number": number})
            return redirect("service_hall:detail", number=number)
    return _render_detail(request, service_request, resubmit_form=form)


@require_POST
@customer_required
def rate(request: HttpRequest, number: str) -> HttpResponse:
    service_request = _own_request(request, number)
    form = RateForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, service_request, rate_form=form)
    try:
        rate_request(
            user=request.user,
            service_request_id=service_request.pk,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
            as_of=clock.now(),
        )
    except TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Thank you for rating our service."))
    return redirect("service_hall:detail", number=number)


@login_required
def download(request: HttpRequest, number: str, public_id) -> FileResponse:
    """A request's file for its applicant, or for staff allowed to view requests; 404 for anyone else."""
    try:
        attachment = selectors.attachment_visible_to(user=request.user, attachment_public_id=public_id)
    except RequestAttachment.DoesNotExist:
        raise Http404("No such file") from None
    if attachment.request.number != number:
        raise Http404("No such file")
    path = attachment_path(attachment)
    if not path.is_file():
        raise Http404("No such file")
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    # The bytes were checked to be PDF/PNG/JPEG; still, never let a browser guess otherwise.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
