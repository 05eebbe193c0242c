"""What the business hall does in one step: file a request together with its documents, or add documents
to a returned request and resubmit it. Built on the workflow engine (requests.py) and the attachment
store (attachments.py); one transaction each, so a refused file leaves no half-filed request behind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction

from services import catalogue
from services.actions.attachments import add_attachment, attachment_path
from services.actions.requests import submit_request, transition_request
from services.models import ServiceRequest


@dataclass(frozen=True)
class Document:
    """One uploaded file and the document it is meant to be (a code of catalogue.DOCUMENTS)."""

    document_type: str
    filename: str
    content: IO[bytes]


class DocumentRefused(Exception):
    """The attachment store refused a file; ``document_type`` says which input it came from."""

    def __init__(self, *, document_type: str, messages: list[str]):
        super().__init__("; ".join(messages))
        self.document_type = document_type
        self.messages = messages


def _attach_all(*, actor, service_request: ServiceRequest, documents: list[Document], as_of: dt.datetime) -> None:
    stored = []
    try:
        for document in documents:
            try:
                stored.append(
                    add_attachment(
                        actor=actor,
                        service_request=service_request,
                        document_type=document.document_type,
                        filename=document.filename,
                        content=document.content,
                        as_of=as_of,
                    )
                )
            except ValidationError as error:
                raise DocumentRefused(document_type=document.document_type, messages=error.messages) from None
    except DocumentRefused:
        # The rows roll back with the transaction; the bytes already written must go too.
        for attachment in stored:
            attachment_path(attachment).unlink(missing_ok=True)
        raise


@transaction.atomic
def apply_for_service(
    *,
    applicant,
    service_type_code: str,
    form: dict,
    documents: list[Document],
    as_of: dt.datetime,
    account_number: str | None = None,
) -> ServiceRequest:
    """Submit a request and store its documents. Raises ValidationError (form answers) or
    DocumentRefused (a file); either way nothing is kept."""
    service_request = submit_request(
        applicant=applicant,
        service_type_code=service_type_code,
        form=form,
        as_of=as_of,
        account_number=account_number,
    )
    _attach_all(actor=applicant, service_request=service_request, documents=documents, as_of=as_of)
    return service_request


@transaction.atomic
def resubmit_with_documents(
    *, applicant, service_request_id: int, documents: list[Document], note: str, as_of: dt.datetime
) -> ServiceRequest:
    """Add the documents the agent asked for to a returned request and send it back for acceptance.
    Raises TransitionRefused when the request is not returned or not the applicant's."""
    service_request = ServiceRequest.objects.select_related("service_type").get(pk=service_request_id)
    if service_request.status == catalogue.RETURNED:
        _attach_all(actor=applicant, service_request=service_request, documents=documents, as_of=as_of)
    return transition_request(
        actor=applicant, service_request_id=service_request_id, action="resubmit", as_of=as_of, note=note
    )
