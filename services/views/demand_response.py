"""Business-hall pages for demand response (需求响应), namespace ``dr_hall`` under /demand-response/:

- programs: the programs the current account may join, their terms in plain words, every reason when
  it may not, enrol (committed kW, the terms version accepted) and withdraw;
- my events: invitations with their deadline and one-tap answers, a reward estimate before answering,
  the latest-known load against the baseline during an event, and the season summary;
- the settlement statement of a settled event (chart, days used and skipped, figures, money, the bill it
  lands on) and its PDF.

Thin: reads through services.selectors.demand_response and statements, each write one service call.
A page never shows another customer's event: anything outside the user's accounts is a 404.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import clock
from customers.access import current_account_for_request, customer_required
from services.actions.demand_response import statements
from services.actions.demand_response.eligibility import check_eligibility
from services.actions.demand_response.enrolment import enrol_account, withdraw_enrolment
from services.actions.demand_response.events import respond_to_event
from services.actions.demand_response.programs import terms_in_force
from services.actions.demand_response.statement_pdf import render_statement_pdf, statement_filename
from services.forms.demand_response import AnswerForm, EnrolForm
from services.models import DREnrolment, DREvent, DRParticipation, DRProgram, DRProgramTerms, DRSettlement
from services.selectors import demand_response as selectors


def _amount(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0")


def _percent(value: Decimal) -> str:
    return f"{value * 100:.0f}%"


def terms_facts(*, program: DRProgram, terms: DRProgramTerms | None) -> list[tuple[str, str]]:
    """The program and its terms as (label, plain words) rows, translated."""
    season_end = program.valid_to.isoformat() if program.valid_to else _("open-ended")
    rows = [
        (_("Kind"), program.get_kind_display()),
        (_("How events are called"), program.get_notice_class_display()),
        (_("Season"), _("%(start)s to %(end)s (exclusive)") % {"start": program.valid_from, "end": season_end}),
        (
            _("Notice"),
            _("at least %(hours)s hours before an event; answer until %(minutes)s minutes before it starts")
            % {
                "hours": _amount(Decimal(program.min_notice_minutes) / 60),
                "minutes": program.response_deadline_minutes,
            },
        ),
        (
            _("Events"),
            _("at most %(hours)s hours each, at most %(count)s a month")
            % {"hours": _amount(program.max_event_hours), "count": program.max_events_per_month},
        ),
        (_("Measured against"), program.get_baseline_method_display()),
    ]
    if terms is None:
        return rows
    if terms.energy_price is not None:
        rows.append(
            (_("Energy price"), _("¥%(price)s per kWh of verified response") % {"price": _amount(terms.energy_price)})
        )
    if terms.capacity_price is not None:
        rows.append(
            (
                _("Capacity price"),
                _("¥%(price)s per kW of verified average response, per event")
                % {"price": _amount(terms.capacity_price)},
            )
        )
    if terms.availability_price is not None:
        rows.append(
            (
                _("Standby payment"),
                _("¥%(price)s per committed kW a month") % {"price": _amount(terms.availability_price)},
            )
        )
    rows.append(
        (
            _("Threshold"),
            _("nothing is paid below %(share)s of your committed kW (exactly %(share)s pays)")
            % {"share": _percent(terms.threshold_ratio)},
        )
    )
    if terms.payable_ratio_cap is not None:
        rows.append(
            (_("Paid up to"), _("%(share)s of your committed kW") % {"share": _percent(terms.payable_ratio_cap)})
        )
    if terms.penalty_below_ratio is not None and terms.penalty_factor:
        rows.append(
            (
                _("Penalty"),
                _("below %(share)s of your committed kW: the shortfall × the price × %(factor)s")
                % {"share": _percent(terms.penalty_below_ratio), "factor": _amount(terms.penalty_factor)},
            )
        )
    else:
        rows.append((_("Penalty"), _("none")))
    caps = [
        label % {"amount": f"{value:,.2f}"}
        for label, value in (
            (_("¥%(amount)s per event"), terms.cap_per_event),
            (_("¥%(amount)s per month"), terms.cap_per_month),
            (_("¥%(amount)s per season"), terms.cap_per_season),
        )
        if value is not None
    ]
    rows.append((_("Caps"), "; ".join(caps) if caps else _("none")))
    return rows


def _no_account(request: HttpRequest, template: str) -> HttpResponse:
    return render(request, template, {"account": None})


@customer_required
def programs(request: HttpRequest) -> HttpResponse:
    account = current_account_for_request(request)
    if account is None:
        return _no_account(request, "services/demand_response/programs.html")
    today = clock.today()
    enrolments = selectors.active_enrolments(account=account)
    offers: list[dict[str, Any]] = []
    for program in selectors.programs_open_on(today=today):
        terms = terms_in_force(program=program, on=today)
        enrolment = enrolments.get(program.pk)
        eligibility = None if enrolment else check_eligibility(program=program, account=account, today=today)
        offers.append(
            {
                "program": program,
                "terms": terms,
                "facts": terms_facts(program=program, terms=terms),
                "enrolment": enrolment,
                "eligibility": eligibility,
                "form": EnrolForm(initial={"terms_version": terms.version if terms else None}),
            }
        )
    offers.sort(key=lambda o: (o["enrolment"] is None, not (o["eligibility"] and o["eligibility"].eligible)))
    return render(request, "services/demand_response/programs.html", {"account": account, "offers": offers})


@require_POST
@customer_required
def enrol(request: HttpRequest, code: str) -> HttpResponse:
    account = current_account_for_request(request)
    program = get_object_or_404(DRProgram, code=code)
    if account is None:
        raise Http404("No account")
    form = EnrolForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("dr_hall:programs")
    accepted = program.terms.filter(version=form.cleaned_data["terms_version"]).first()
    try:
        enrol_account(
            program=program,
            account=account,
            committed_kw=form.cleaned_data["committed_kw"],
            accepted_terms=accepted or DRProgramTerms(pk=0),
            user=request.user,
            channel=DREnrolment.Channel.HALL,
            now=clock.now(),
        )
    except ValidationError as refused:
        for message in refused.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("You are enrolled in %(program)s with %(kw)s kW (terms version %(version)s).")
            % {
                "program": program.name,
                "kw": form.cleaned_data["committed_kw"],
                "version": form.cleaned_data["terms_version"],
            },
        )
    return redirect("dr_hall:programs")


@require_POST
@customer_required
def withdraw(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    try:
        enrolment = selectors.access_enrolment(user=request.user, enrolment_id=enrolment_id)
    except DREnrolment.DoesNotExist:
        raise Http404("No such enrolment") from None
    try:
        withdraw_enrolment(enrolment=enrolment, user=request.user, now=clock.now())
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        messages.success(request, _("You have left %(program)s.") % {"program": enrolment.program.name})
    return redirect("dr_hall:programs")


@customer_required
def events(request: HttpRequest) -> HttpResponse:
    account = current_account_for_request(request)
    if account is None:
        return _no_account(request, "services/demand_response/events.html")
    now = clock.now()
    rows = list(selectors.account_participations(account=account)[:100])
    invitations = [p for p in rows if p.event.status == DREvent.Status.SCHEDULED and now < p.event.response_deadline]
    current = [
        p
        for p in rows
        if p.event.status == DREvent.Status.ACTIVE
        or (p.event.status == DREvent.Status.SCHEDULED and now >= p.event.response_deadline)
    ]
    past = [p for p in rows if p not in invitations and p not in current]
    context = {
        "account": account,
        "invitations": invitations,
        "current": current,
        "past": past,
        "summaries": statements.season_summaries(account=account),
        "answer_form": AnswerForm(),
    }
    return render(request, "services/demand_response/events.html", context)


def _participation(request: HttpRequest, event_id: int) -> DRParticipation:
    try:
        return selectors.access_participation(
            user=request.user, event_id=event_id, account=current_account_for_request(request)
        )
    except DRParticipation.DoesNotExist:
        raise Http404("No such event") from None


@customer_required
def event(request: HttpRequest, event_id: int) -> HttpResponse:
    participation = _participation(request, event_id)
    dr_event = participation.event
    now = clock.now()
    open_for_answers = dr_event.status == DREvent.Status.SCHEDULED and now < dr_event.response_deadline
    context: dict[str, Any] = {
        "participation": participation,
        "event": dr_event,
        "program": dr_event.program,
        "open_for_answers": open_for_answers,
        "estimate": statements.reward_estimate(participation=participation, today=clock.today())
        if dr_event.status in (DREvent.Status.SCHEDULED, DREvent.Status.ACTIVE)
        else None,
        "live": statements.live_load(participation=participation)
        if dr_event.status in (DREvent.Status.ACTIVE, DREvent.Status.COMPLETED)
        and participation.response == DRParticipation.Response.OPTED_IN
        else None,
        "settlement": getattr(participation, "settlement", None),
        "changes": participation.changes.order_by("changed_at", "id"),
    }
    if context["live"] is not None:
        baseline = context["live"].baseline
        context["live_chart"] = {
            "labels": [f"{s:%H:%M}" for s in baseline.slots],
            "baseline": [None if v is None else str(v) for v in baseline.baseline_kw],
            "actual": [None if v is None else str(v) for v in baseline.actual_kw],
        }
    return render(request, "services/demand_response/event.html", context)


@require_POST
@customer_required
def answer(request: HttpRequest, event_id: int) -> HttpResponse:
    participation = _participation(request, event_id)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether you take part."))
        return redirect("dr_hall:event", event_id=event_id)
    try:
        respond_to_event(
            participation=participation, opt_in=form.opt_in, user=request.user, channel="hall", now=clock.now()
        )
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        if form.opt_in:
            messages.success(request, _("Thank you: you take part in %(event)s.") % {"event": participation.event.name})
        else:
            messages.success(
                request, _("Noted: you do not take part in %(event)s.") % {"event": participation.event.name}
            )
    return redirect("dr_hall:event", event_id=event_id)


def _settled(request: HttpRequest, event_id: int) -> DRSettlement:
    participation = _participation(request, event_id)
    settlement = getattr(participation, "settlement", None)
    if settlement is None or settlement.status != DRSettlement.Status.POSTED:
        raise Http404("Not settled yet")
    return settlement


@customer_required
def statement(request: HttpRequest, event_id: int) -> HttpResponse:
    sheet = statements.statement(settlement=_settled(request, event_id))
    return render(request, "services/demand_response/statement.html", {"sheet": sheet, "chart": sheet.chart})


@customer_required
def statement_pdf(request: HttpRequest, event_id: int) -> HttpResponse:
    sheet = statements.statement(settlement=_settled(request, event_id))
    response = HttpResponse(render_statement_pdf(sheet=sheet), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{statement_filename(sheet=sheet)}"'
    return response
