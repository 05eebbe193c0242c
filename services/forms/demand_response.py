"""Business-hall forms for demand response: enrolling in a program (committed kW, the terms version
accepted) and answering an event's invitation. The rules themselves (how much may be committed, the
answer deadline) are the services'; the forms only read the input."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class EnrolForm(forms.Form):
    committed_kw = forms.DecimalField(
        label=_("Committed response (kW)"),
        min_value=Decimal("0.001"),
        max_digits=12,
        decimal_places=3,
        help_text=_("How much load you will shed (or add) when an event is called."),
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    terms_version = forms.IntegerField(widget=forms.HiddenInput)
    accept = forms.BooleanField(
        label=_("I have read and accept these terms."),
        error_messages={"required": _("Accept the terms to enrol.")},
    )


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("in", _("Take part")), ("out", _("Not this time"))])

    @property
    def opt_in(self) -> bool:
        return self.cleaned_data["answer"] == "in"
