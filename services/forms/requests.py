"""Business-hall forms for service requests. The application form is generated from the type's
``form_fields`` (catalogue data); its answers are checked with the engine's own clean_form so the page
and the API refuse exactly the same things, and each file is checked for what it really is before the
request is filed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.web.widgets import DateInput
from customers.models import Account
from services.actions.applications import Document
from services.actions.attachments import detect_type
from services.actions.requests import clean_form
from services.models import ServiceType
from services.selectors.catalogue import document_label, tariff_choices

ACCEPT = ".pdf,.jpg,.jpeg,.png"
DOCUMENT_PREFIX = "doc_"


def _file_field(*, code: str, required: bool) -> forms.FileField:
    return forms.FileField(
        label=document_label(code),
        required=required,
        help_text=gettext_lazy("PDF, JPEG or PNG, at most %(mb)s MB.") % {"mb": settings.ATTACHMENT_MAX_BYTES // 2**20},
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


def check_upload(upload) -> None:
    """The same checks the attachment store makes, early, so the page can answer next to the field."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": limit // 2**20})
    if upload.size == 0:
        raise ValidationError(_("The file is empty."))
    head = upload.read(16)
    upload.seek(0)
    if detect_type(head) is None:
        raise ValidationError(
            _("Only PDF, JPEG and PNG files are accepted; this file is none of them, whatever its name.")
        )


# What the mixin uses of the form it is mixed into, for mypy; at run time it adds nothing to the MRO.
if TYPE_CHECKING:
    _Form = forms.Form
else:
    _Form = object


class DocumentsMixin(_Form):
    """One file input per document the request takes, named ``doc_<code>``."""

    def add_document_fields(self, *, required: list[str], optional: list[str]) -> None:
        for code in required:
            self.fields[DOCUMENT_PREFIX + code] = _file_field(code=code, required=True)
        for code in optional:
            self.fields[DOCUMENT_PREFIX + code] = _file_field(code=code, required=False)

    def document_fields(self):
        return [self[name] for name in self.fields if name.startswith(DOCUMENT_PREFIX)]

    def check_documents(self) -> None:
        for name in self.fields:
            upload = self.cleaned_data.get(name) if name.startswith(DOCUMENT_PREFIX) else None
            if upload:
                try:
                    check_upload(upload)
                except ValidationError as error:
                    self.add_error(name, error)

    def uploaded_documents(self) -> list[Document]:
        return [
            Document(document_type=name.removeprefix(DOCUMENT_PREFIX), filename=upload.name, content=upload)
            for name in self.fields
            if name.startswith(DOCUMENT_PREFIX) and (upload := self.cleaned_data.get(name))
        ]

    def add_document_error(self, *, document_type: str, messages: list[str]) -> None:
        name = DOCUMENT_PREFIX + document_type
        self.add_error(name if name in self.fields else None, messages)


def _answer_field(spec: dict, *, tariffs: list[tuple[str, str]]) -> forms.Field:
    kind = spec["kind"]
    common = {
        "label": _(spec["label"]),
        "required": spec.get("required", True),
        "help_text": _(spec["help"]) if spec.get("help") else "",
    }
    if kind == "textarea":
        return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), **common)
    if kind == "choice":
        choices = [(value, _(label)) for value, label in spec.get("choices", [])]
        if not common["required"] or len(choices) > 1:
            choices = [("", "—"), *choices]
        return forms.ChoiceField(choices=choices, **common)
    if kind == "tariff":
        return forms.ChoiceField(choices=[("", "—"), *tariffs], **common)
    if kind == "date":
        return forms.CharField(widget=DateInput(), **common)
    if kind == "decimal":
        return forms.CharField(max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if kind == "phone":
        attrs = {"type": "tel", "inputmode": "tel", "autocomplete": "tel"}
        return forms.CharField(max_length=20, widget=forms.TextInput(attrs=attrs), **common)
    if kind == "id_number":
        attrs = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        return forms.CharField(max_length=18, widget=forms.TextInput(attrs=attrs), **common)
    if kind == "area":
        common["required"] = False
        common["help_text"] = common["help_text"] or _("The code on the transformer area's plate, if you know it.")
        return forms.CharField(max_length=40, **common)
    return forms.CharField(max_length=200, **common)


class ApplicationForm(DocumentsMixin, forms.Form):
    """Answers, the account (for types about an existing account) and the documents of one type."""

    def __init__(self, *args, service_type: ServiceType, accounts: list[Account], current: Account | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.service_type = service_type
        self.accounts = {account.number: account for account in accounts}
        if service_type.needs_account:
            self.fields["account_number"] = forms.ChoiceField(
                label=_("Account"),
                choices=[(a.number, f"{a.number} · {a.get_category_display()}") for a in accounts],
                initial=current.number if current and current.number in self.accounts else None,
            )
        tariffs = tariff_choices(categories=[a.category for a in accounts])
        self.answer_names = []
        for spec in service_type.form_fields:
            self.fields[spec["name"]] = _answer_field(spec, tariffs=tariffs)
            self.answer_names.append(spec["name"])
        self.add_document_fields(required=service_type.required_documents, optional=service_type.optional_documents)

    def answer_fields(self):
        return [self[name] for name in self.answer_names]

    def answers(self) -> dict:
        return {name: self.cleaned_data.get(name) or "" for name in self.answer_names if self.cleaned_data.get(name)}

    def clean(self):
        cleaned = super().clean()
        answers = {name: self.data.get(name, "") for name in self.answer_names if name not in self.errors}
        answers = {name: value for name, value in answers.items() if str(value).strip()}
        try:
            clean_form(service_type=self.service_type, form=answers)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                if name in self.fields and name not in self.errors:
                    self.add_error(name, messages)
                elif name not in self.fields:
                    self.add_error(None, messages)
        self._check_tariff(cleaned)
        self.check_documents()
        return cleaned

    def _check_tariff(self, cleaned: dict) -> None:
        # The tariff must be one the chosen account's category allows (a shop cannot pick a home tariff).
        account = self.accounts.get(cleaned.get("account_number") or "")
        for spec in self.service_type.form_fields:
            code = cleaned.get(spec["name"]) if spec["kind"] == "tariff" else None
            if code and account is not None:
                allowed = {value for value, _label in tariff_choices(categories=[account.category])}
                if code not in allowed:
                    self.add_error(
                        spec["name"],
                        _("This tariff is not available for a %(category)s account.")
                        % {"category": account.get_category_display()},
                    )


class CancelForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Reason (optional)"), required=False, max_length=500)


class NoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note for the staff (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ResubmitForm(DocumentsMixin, forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Your reply to the agent"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, service_type: ServiceType, missing: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        # The documents still missing are required now; any other the type takes may be replaced.
        others = [
            code for code in [*service_type.required_documents, *service_type.optional_documents] if code not in missing
        ]
        self.add_document_fields(required=missing, optional=others)

    def clean(self):
        cleaned = super().clean()
        self.check_documents()
        return cleaned


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("Your rating"),
        choices=[(str(n), str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
