"""Staff console for demand response (需求响应): programs with their terms versions, enrolments (staff
enrol on a customer's behalf with a reason; withdraw), events (draft create/edit checked by the event
service, dispatch / cancel / settle), participations with their change history, and settlements with
the review queue (approve, settle on incomplete data with a reason). Every write is one service call
(services.actions.demand_response); docs/demand-response.md, "Staff console"."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, TextField
from django.db.models.functions import Cast, TruncMonth
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import clock
from core.time import SHANGHAI
from core.web.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from services.actions.demand_response.enrolment import enrol_account, withdraw_enrolment
from services.actions.demand_response.events import cancel_event, create_event, dispatch_event, update_event
from services.actions.demand_response.programs import add_terms_version, terms_in_force
from services.actions.demand_response.settlement import approve_settlement, settle_event, settle_with_reason
from services.forms.demand_response_staff import (
    EVENT_FIELDS,
    ActionNoteForm,
    DREventForm,
    StaffEnrolmentForm,
    TermsForm,
    TermsFormSet,
)
from services.models import (
    DREnrolment,
    DREvent,
    DRParticipation,
    DRParticipationChange,
    DRProgram,
    DRProgramTerms,
    DRSettlement,
)

NOTE_TEMPLATE = "admin/services/dr/action_note.html"


def _errors(error: ValidationError) -> str:
    return "; ".join(error.messages)


def _with_note(
    modeladmin: admin.ModelAdmin,
    request,
    queryset,
    *,
    action: str,
    title: str,
    explanation: str,
    apply: Callable[[str], None],
):
    """The intermediate page of an action that records a note: show it, then ``apply(note)``."""
    form = ActionNoteForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        apply(form.cleaned_data["note"])
        return None  # back to the list, with the messages
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "explanation": explanation,
        "opts": modeladmin.model._meta,
        "queryset": queryset,
        "action": action,
        "form": form,
    }
    return TemplateResponse(request, NOTE_TEMPLATE, context)


# --- programs and terms ------------------------------------------------------------------------------


class TermsInline(admin.StackedInline):
    model = DRProgramTerms
    form = TermsForm
    formset = TermsFormSet
    extra = 0
    readonly_fields = ["version", "valid_to", "locked_at"]
    fields = [
        ("version", "valid_from", "valid_to", "locked_at"),
        ("energy_price", "capacity_price", "availability_price"),
        ("threshold_ratio", "payable_ratio_cap"),
        ("penalty_below_ratio", "penalty_factor"),
        ("cap_per_event", "cap_per_month", "cap_per_season"),
        "summary",
    ]
    verbose_name_plural = _("terms versions (a version that paid is locked)")


@admin.register(DRProgram)
class DRProgramAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "notice_class", "valid_from", "valid_to", "baseline_method", "terms_now"]
    list_filter = ["kind", "notice_class", "baseline_method"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["target_areas"]
    inlines = [TermsInline]

    @admin.display(description=_("terms in force"))
    def terms_now(self, obj) -> str:
        terms = terms_in_force(program=obj, on=clock.today())
        return f"v{terms.version}" if terms else "—"

    def save_formset(self, request, form, formset, change):
        """New versions through the terms service (numbered, closing the previous version); edits of
        unlocked versions as they are; locked versions are never saved."""
        if formset.model is not DRProgramTerms:
            return super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            if not inline_form.has_changed() or inline_form.cleaned_data.get("DELETE"):
                continue
            instance = inline_form.instance
            if instance.pk is None:
                data = inline_form.cleaned_data
                add_terms_version(
                    program=form.instance,
                    valid_from=data["valid_from"],
                    **{
                        name: data.get(name)
                        for name in (
                            "energy_price",
                            "capacity_price",
                            "availability_price",
                            "payable_ratio_cap",
                            "penalty_below_ratio",
                            "penalty_factor",
                            "cap_per_event",
                            "cap_per_month",
                            "cap_per_season",
                        )
                    },
                    threshold_ratio=data["threshold_ratio"],
                    summary=data.get("summary") or "",
                )
            elif not instance.locked_at:
                inline_form.save()
        for obj in formset.deleted_objects:
            if not obj.locked_at:
                obj.delete()
        return None


# --- enrolments --------------------------------------------------------------------------------------


@admin.register(DREnrolment)
class DREnrolmentAdmin(admin.ModelAdmin):
    """Read-only rows: enrolments change through the enrolment service (the business hall, the API, the
    staff enrolment page here, the withdraw action)."""

    list_display = [
        "account",
        "program",
        "committed_kw",
        "status",
        "channel",
        "accepted_at",
        "terms",
        "enrolled_by",
        "staff_reason",
        "withdrawn_at",
    ]
    list_filter = ["program", "status", "channel"]
    search_fields = ["account__number"]
    list_select_related = ["account", "program", "terms__program", "enrolled_by"]
    readonly_fields = [f.name for f in DREnrolment._meta.fields if f.name != "id"]
    actions = ["withdraw_selected"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_withdraw_permission(self, request) -> bool:
        return request.user.has_perm("services.change_drenrolment")

    def get_urls(self):
        return [
            path("enrol/", self.admin_site.admin_view(self.enrol_view), name="services_drenrolment_enrol"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:services_drenrolment_enrol")

    def enrol_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StaffEnrolmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            program, now = data["program"], clock.now()
            terms = terms_in_force(program=program, on=clock.today())
            if terms is None:
                form.add_error("program", gettext("The program has no terms in force yet."))
            else:
                try:
                    enrolment = enrol_account(
                        program=program,
                        account=data["account_number"],
                        committed_kw=data["committed_kw"],
                        accepted_terms=terms,
                        user=request.user,
                        channel=DREnrolment.Channel.STAFF,
                        now=now,
                        staff_reason=data["staff_reason"],
                    )
                except ValidationError as error:
                    self._field_errors(form, error)
                else:
                    messages.success(
                        request,
                        gettext("%(account)s is enrolled in %(program)s with %(kw)s kW.")
                        % {"account": enrolment.account.number, "program": program.name, "kw": enrolment.committed_kw},
                    )
                    return redirect("admin:services_drenrolment_change", enrolment.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Enrol on the customer's behalf"),
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/services/dr/enrol.html", context)

    @staticmethod
    def _field_errors(form, error: ValidationError) -> None:
        """The enrolment service's refusals, on the field they name (else above the form)."""
        if not hasattr(error, "error_dict"):
            form.add_error(None, error)
            return
        names = {"committed_kw": "committed_kw", "staff_reason": "staff_reason", "terms": "program"}
        for name, errors in error.error_dict.items():
            for item in errors:
                form.add_error(names.get(name), item)

    @admin.action(description=_("Withdraw the selected enrolments"), permissions=["withdraw"])
    def withdraw_selected(self, request, queryset):
        done = 0
        for enrolment in queryset:
            try:
                withdraw_enrolment(enrolment=enrolment, user=request.user, now=clock.now())
                done += 1
            except ValidationError as error:
                messages.error(request, f"{enrolment.account}: {_errors(error)}")
        if done:
            messages.success(request, gettext("%(count)d enrolment(s) withdrawn.") % {"count": done})


# --- events ------------------------------------------------------------------------------------------


class ParticipationInline(ReadOnlyTabularInline):
    model = DRParticipation
    readonly_fields = ["account", "committed_kw", "response", "answered", "responded_at", "invited_at"]
    fields = tuple(readonly_fields)
    verbose_name_plural = _("participations")
    show_change_link = True


@admin.register(DREvent)
class DREventAdmin(admin.ModelAdmin):
    """Drafts are created and edited here (the event service's rules, each refusal on its field); after
    dispatch the event is read-only and moves only by the actions and the clock."""

    form = DREventForm
    list_display = ["name", "program", "start_local", "end_local", "status", "requested_kw", "invited", "results"]
    list_filter = ["program", "status", "program__kind", ("start", admin.DateFieldListFilter)]
    search_fields = ["name", "program__code", "target_accounts__number"]
    list_select_related = ["program"]
    date_hierarchy = "start"
    autocomplete_fields = ["program", "target_areas", "target_feeders", "target_accounts"]
    filter_horizontal = ["target_segments"]
    inlines = [ParticipationInline]
    actions = ["dispatch_selected", "cancel_selected", "settle_selected", "settle_with_reason_selected"]
    readonly_after_dispatch = [
        *EVENT_FIELDS,
        "status",
        "response_deadline",
        "dispatched_at",
        "cancelled_at",
        "cancel_reason",
        "results",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(invited_count=Count("participations"))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new draft has no participations

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != DREvent.Status.DRAFT:
            return self.readonly_after_dispatch
        return ["status", "results"] if obj is not None else []

    def get_fields(self, request, obj=None):
        if obj is not None and obj.status != DREvent.Status.DRAFT:
            return self.readonly_after_dispatch
        return [*EVENT_FIELDS, *(["status", "results"] if obj is not None else [])]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        form_class.now = clock.now()
        return form_class

    @admin.display(description=_("start"), ordering="start")
    def start_local(self, obj) -> str:
        return f"{obj.start.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"

    @admin.display(description=_("end"), ordering="end")
    def end_local(self, obj) -> str:
        return f"{obj.end.astimezone(SHANGHAI):%H:%M}"

    @admin.display(description=_("invited"), ordering="invited_count")
    def invited(self, obj) -> int:
        return getattr(obj, "invited_count", 0)

    @admin.display(description=_("results"))
    def results(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("services_staff:dr_event_results", args=[obj.pk]),
            gettext("Results"),
            reverse("services_staff:dr_event_compare", args=[obj.pk]),
            gettext("Compare baselines"),
        )

    def save_model(self, request, obj, form, change):
        values = {
            name: form.cleaned_data[name] for name in ("program", "name", "start", "end", "notice_at", "requested_kw")
        }
        if change:
            event = update_event(event=obj, targets=form.targets(), user=request.user, now=clock.now(), **values)
        else:
            event = create_event(targets=form.targets(), user=request.user, now=clock.now(), **values)
        obj.pk = event.pk
        obj.status = event.status

    def save_related(self, request, form, formsets, change):
        # The targets were set by the event service (no form.save_m2m()); the participations inline is
        # read-only, saving it records nothing but keeps the admin's change message working.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def _each(self, request, queryset, call: Callable[[DREvent], object], done_text: str) -> list:
        results = []
        for event in queryset:
            try:
                results.append(call(event))
            except ValidationError as error:
                messages.error(request, f"{event.name}: {_errors(error)}")
        if results:
            messages.success(request, done_text % {"count": len(results)})
        return results

    @admin.action(description=_("Dispatch the selected draft events"), permissions=["change"])
    def dispatch_selected(self, request, queryset):
        events = self._each(
            request,
            queryset,
            lambda e: dispatch_event(event=e, user=request.user, now=clock.now()),
            gettext("%(count)d event(s) dispatched."),
        )
        invited = DRParticipation.objects.filter(event__in=[e.pk for e in events]).count()
        if events:
            messages.info(request, gettext("%(count)d account(s) invited.") % {"count": invited})

    @admin.action(description=_("Cancel the selected events (with a reason)"), permissions=["change"])
    def cancel_selected(self, request, queryset):
        def apply(note: str) -> None:
            self._each(
                request,
                queryset,
                lambda e: cancel_event(event=e, reason=note, user=request.user, now=clock.now()),
                gettext("%(count)d event(s) cancelled."),
            )

        return _with_note(
            self,
            request,
            queryset,
            action="cancel_selected",
            title=gettext("Cancel events"),
            explanation=gettext("Customers already invited are told the event is off, with this reason."),
            apply=apply,
        )

    def _settle_message(self, request, runs) -> None:
        if runs:
            total = {k: sum(getattr(r, k) for r in runs) for k in ("settled", "posted", "review", "awaiting_data")}
            messages.info(
                request,
                gettext(
                    "Settlements: %(settled)d computed, %(posted)d posted, %(review)d in review, "
                    "%(awaiting_data)d awaiting data."
                )
                % total,
            )

    @admin.action(description=_("Settle the selected completed events"), permissions=["change"])
    def settle_selected(self, request, queryset):
        runs = self._each(
            request,
            queryset,
            lambda e: settle_event(event=e, now=clock.now()),
            gettext("%(count)d event(s) settled."),
        )
        self._settle_message(request, runs)

    @admin.action(description=_("Settle on incomplete data (with a reason)"), permissions=["change"])
    def settle_with_reason_selected(self, request, queryset):
        def apply(note: str) -> None:
            runs = self._each(
                request,
                queryset,
                lambda e: settle_with_reason(event=e, user=request.user, reason=note, now=clock.now()),
                gettext("%(count)d event(s) settled."),
            )
            self._settle_message(request, runs)

        return _with_note(
            self,
            request,
            queryset,
            action="settle_with_reason_selected",
            title=gettext("Settle on incomplete data"),
            explanation=gettext(
                "Settlements awaiting data are priced on the readings there are; the reason is kept on each."
            ),
            apply=apply,
        )


# --- participations ----------------------------------------------------------------------------------


class ChangeInline(ReadOnlyTabularInline):
    model = DRParticipationChange
    readonly_fields = ["response", "changed_at", "changed_by", "channel"]
    fields = tuple(readonly_fields)
    verbose_name_plural = _("change history")


@admin.register(DRParticipation)
class DRParticipationAdmin(ReadOnlyAdmin):
    list_display = ["event", "account", "committed_kw", "response", "answered", "responded_at", "invited_at"]
    list_filter = ["event__program", "response", "answered"]
    search_fields = ["account__number", "event__name"]
    list_select_related = ["event", "account"]
    readonly_fields = [
        "event",
        "enrolment",
        "account",
        "committed_kw",
        "response",
        "answered",
        "responded_at",
        "invited_at",
    ]
    inlines = [ChangeInline]


# --- settlements: results and the review queue --------------------------------------------------------


FLAG_CODES = {
    "gaming": _("Gaming suspected"),
    "data_missing": _("Intervals missing"),
    "data_estimated": _("Estimated intervals"),
    "baseline_insufficient": _("Too few baseline days"),
}


class FlagFilter(admin.SimpleListFilter):
    title = _("flags")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [*FLAG_CODES.items(), ("none", _("No flags"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        text = queryset.annotate(flags_text=Cast("flags", TextField()))
        if value == "none":
            return text.filter(Q(flags_text="[]") | Q(flags_text__isnull=True))
        if value in FLAG_CODES:
            return text.filter(flags_text__contains=f'"code": "{value}"')
        return queryset


class EventMonthFilter(admin.SimpleListFilter):
    title = _("event month")
    parameter_name = "month"

    def lookups(self, request, model_admin):
        months = (
            DREvent.objects.annotate(month=TruncMonth("start", tzinfo=SHANGHAI))
            .values_list("month", flat=True)
            .distinct()
            .order_by("-month")[:24]
        )
        return [(f"{m:%Y-%m}", f"{m:%Y-%m}") for m in months if m]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            year, month = (int(part) for part in self.value().split("-"))
        except ValueError:
            return queryset
        return queryset.filter(
            participation__event__start__year=year,
            participation__event__start__month=month,
        )


@admin.register(DRSettlement)
class DRSettlementAdmin(ReadOnlyAdmin):
    """The results of every event, and the review queue (status: staff review): approve with a note,
    or settle an event's data-waiting settlements on the data there is, with a reason."""

    list_display = [
        "account_number",
        "event",
        "status",
        "baseline_method",
        "baseline_kwh",
        "actual_kwh",
        "verified_kwh",
        "verified_kw",
        "ratio",
        "net",
        "flag_list",
        "revision",
    ]
    list_filter = ["status", "participation__event__program", EventMonthFilter, FlagFilter, "baseline_method"]
    search_fields = ["participation__account__number", "participation__event__name"]
    list_select_related = ["participation__account", "participation__event"]
    readonly_fields = [f.name for f in DRSettlement._meta.fields if f.name != "id"]
    actions = ["approve_selected", "settle_events_with_reason"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm("services.change_drsettlement")

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # the results page links to one event's settlements
        return lookup == "participation__event__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description=_("account"), ordering="participation__account__number")
    def account_number(self, obj) -> str:
        return obj.participation.account.number

    @admin.display(description=_("event"), ordering="participation__event__start")
    def event(self, obj) -> str:
        return obj.participation.event.name

    @admin.display(description=_("flags"))
    def flag_list(self, obj) -> str:
        return ", ".join(str(FLAG_CODES.get(f.get("code"), f.get("code"))) for f in obj.flags or []) or "—"

    @admin.action(description=_("Approve the selected settlements (with a note)"), permissions=["review"])
    def approve_selected(self, request, queryset):
        def apply(note: str) -> None:
            done = 0
            for settlement in queryset.select_related("participation__account"):
                try:
                    approve_settlement(settlement=settlement, user=request.user, note=note, now=clock.now())
                    done += 1
                except ValidationError as error:
                    messages.error(request, f"{settlement.participation.account.number}: {_errors(error)}")
            if done:
                messages.success(request, gettext("%(count)d settlement(s) approved and posted.") % {"count": done})

        return _with_note(
            self,
            request,
            queryset,
            action="approve_selected",
            title=gettext("Approve settlements"),
            explanation=gettext("The net of each is posted to the account's ledger; the note is kept with it."),
            apply=apply,
        )

    @admin.action(description=_("Settle their events on incomplete data (with a reason)"), permissions=["review"])
    def settle_events_with_reason(self, request, queryset):
        events = DREvent.objects.filter(pk__in=queryset.values("participation__event_id"))

        def apply(note: str) -> None:
            runs = []
            for event in events:
                try:
                    runs.append(settle_with_reason(event=event, user=request.user, reason=note, now=clock.now()))
                except ValidationError as error:
                    messages.error(request, f"{event.name}: {_errors(error)}")
            if runs:
                messages.success(
                    request,
                    gettext("%(events)d event(s) settled: %(posted)d settlement(s) posted, %(review)d in review.")
                    % {
                        "events": len(runs),
                        "posted": sum(r.posted for r in runs),
                        "review": sum(r.review for r in runs),
                    },
                )

        return _with_note(
            self,
            request,
            queryset,
            action="settle_events_with_reason",
            title=gettext("Settle on incomplete data"),
            explanation=gettext(
                "Every settlement of these events that waits for data is priced on the readings there are; "
                "the reason is kept on each."
            ),
            apply=apply,
        )
