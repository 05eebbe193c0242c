"""Staff-console forms for demand response: an event draft (checked with the event service's own rules,
each refusal shown on its field), a staff enrolment on a customer's behalf (with the reason), and the
note an admin action asks for (cancel, approve, settle on incomplete data)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Account
from services.actions.demand_response.events import EventTargets, draft_problems
from services.models import DREvent, DRProgram, DRProgramTerms

EVENT_FIELDS: list[str] = [
    "program",
    "name",
    "start",
    "end",
    "notice_at",
    "requested_kw",
    "target_areas",
    "target_feeders",
    "target_segments",
    "target_accounts",
]


class DREventForm(forms.ModelForm):
    """Create or edit a draft event. ``now`` (set by the admin before validation) is the service's
    "notice time has passed" reference."""

    now: dt.datetime | None = None

    class Meta:
        model = DREvent
        fields = EVENT_FIELDS

    def clean(self):
        data = super().clean()
        program, start, end, notice_at = (data.get(k) for k in ("program", "start", "end", "notice_at"))
        requested_kw = data.get("requested_kw")
        if program is None or start is None or end is None or notice_at is None or requested_kw is None:
            return data  # the missing field has its own error already
        problems = draft_problems(
            program=program,
            start=start,
            end=end,
            notice_at=notice_at,
            requested_kw=requested_kw,
            now=self.now or start,
        )
        for name, errors in problems.items():
            for error in errors:
                self.add_error(name if name in self.fields else None, error)
        return data

    def targets(self) -> EventTargets:
        data = self.cleaned_data

        def ids(name: str) -> list[int]:
            return [row.pk for row in data.get(name) or []]

        return EventTargets(
            area_ids=ids("target_areas"),
            feeder_ids=ids("target_feeders"),
            segment_ids=ids("target_segments"),
            account_ids=ids("target_accounts"),
        )


class StaffEnrolmentForm(forms.Form):
    """Staff enrol an account on the customer's behalf; the reason is recorded with the enrolment."""

    program = forms.ModelChoiceField(label=gettext_lazy("Program"), queryset=DRProgram.objects.all())
    account_number = forms.CharField(label=gettext_lazy("Account number (户号)"), max_length=32)
    committed_kw = forms.DecimalField(
        label=gettext_lazy("Committed response (kW)"), max_digits=12, decimal_places=3, min_value=Decimal("0.001")
    )
    staff_reason = forms.CharField(
        label=gettext_lazy("Reason (recorded)"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=gettext_lazy("Why staff enrol the customer, e.g. the customer asked at the counter on the phone."),
    )

    def clean_account_number(self) -> Account:
        number = self.cleaned_data["account_number"].strip()
        account = Account.objects.filter(number=number).first()
        if account is None:
            raise forms.ValidationError(_("No account has the number %(number)s.") % {"number": number})
        return account


class ActionNoteForm(forms.Form):
    """The note an admin action records (why an event is cancelled, why a settlement is approved)."""

    note = forms.CharField(
        label=gettext_lazy("Note (recorded)"), max_length=300, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class TermsForm(forms.ModelForm):
    """A version that priced a settlement is locked: every field shown, none editable."""

    class Meta:
        model = DRProgramTerms
        fields = [
            "program",
            "valid_from",
            "energy_price",
            "capacity_price",
            "availability_price",
            "threshold_ratio",
            "payable_ratio_cap",
            "penalty_below_ratio",
            "penalty_factor",
            "cap_per_event",
            "cap_per_month",
            "cap_per_season",
            "summary",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.locked_at:
            for field in self.fields.values():
                field.disabled = True


class TermsFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            if form.instance.pk and form.instance.locked_at and form.cleaned_data.get("DELETE"):
                raise ValidationError(
                    _("Version %(v)s has paid settlements; it cannot be deleted.") % {"v": form.instance.version}
                )
