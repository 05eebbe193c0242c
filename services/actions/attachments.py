"""Request attachments: what a file really is (magic bytes, not the extension), how big, its SHA-256,
kept in private storage outside the web root and served only through an access-checked view."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from services.actions.requests import actor_roles
from services.models import RequestAttachment, ServiceRequest

# Accepted document formats by their leading bytes. Office files and archives are refused on purpose:
# a scan or a photo is what the counter accepts, and those formats can carry macros or anything else.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


@dataclass(frozen=True)
class DetectedType:
    content_type: str
    extension: str


def detect_type(head: bytes) -> DetectedType | None:
    for magic, content_type, extension in SIGNATURES:
        if head.startswith(magic):
            return DetectedType(content_type, extension)
    return None


def _storage_root() -> Path:
    return Path(settings.PRIVATE_STORAGE_ROOT) / "service-requests"


def attachment_path(attachment: RequestAttachment) -> Path:
    path = (Path(settings.PRIVATE_STORAGE_ROOT) / attachment.stored_path).resolve()
    if not path.is_relative_to(Path(settings.PRIVATE_STORAGE_ROOT).resolve()):
        raise ValidationError("attachment path escapes private storage")
    return path


@transaction.atomic
def add_attachment(
    *, actor, service_request: ServiceRequest, document_type: str, filename: str, content, as_of: dt.datetime
) -> RequestAttachment:
    """Store an uploaded file for the request. ``content`` is a file-like object (an UploadedFile).
    Refuses unknown document types, files over ATTACHMENT_MAX_BYTES, and anything whose bytes are not
    a PDF, PNG or JPEG whatever its name says."""
    if not actor_roles(user=actor, service_request=service_request):
        raise ValidationError({"file": _("You may not add files to this request.")})
    if service_request.is_closed:
        raise ValidationError({"file": _("The request is closed; files can no longer be added.")})
    allowed = {*service_request.service_type.required_documents, *service_request.service_type.optional_documents}
    if document_type not in allowed:
        raise ValidationError({"document_type": _("This request does not take that document.")})
    limit = settings.ATTACHMENT_MAX_BYTES
    data = content.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({"file": _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}})
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    detected = detect_type(data[:16])
    if detected is None:
        raise ValidationError(
            {"file": _("Only PDF, JPEG and PNG files are accepted; this file is none of them, whatever its name.")}
        )
    relative = Path("service-requests") / str(service_request.public_id) / f"{uuid.uuid4().hex}{detected.extension}"
    target = Path(settings.PRIVATE_STORAGE_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    target.chmod(0o600)
    return RequestAttachment.objects.create(
        request=service_request,
        document_type=document_type,
        original_name=Path(filename or "file").name[:200],
        content_type=detected.content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        stored_path=str(relative),
        uploaded_by=actor,
        uploaded_at=as_of,
    )
