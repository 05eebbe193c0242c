"""Starting a billing run from the staff console."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.web.forms import MonthField


class BillingRunForm(forms.Form):
    month = MonthField(
        label=_("Month"),
        help_text=_(
            "Every account supplied in the month is billed; accounts already billed are counted, not billed again."
        ),
    )
