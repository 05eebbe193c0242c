"""The business hall's "pay" buttons."""

from __future__ import annotations

from django import forms


class PayForm(forms.Form):
    """The business hall's "pay" buttons: with a bill, that bill's outstanding amount; without, the
    account's whole balance. The amount is never taken from the browser."""

    bill = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
