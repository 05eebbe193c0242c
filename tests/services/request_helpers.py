"""Builders for service-request tests: a valid form for any type, a request placed at any step, files."""

from __future__ import annotations

import datetime as dt
import io
import itertools

from services import catalogue, sla
from services.actions.requests import submit_request
from services.models import RequestAttachment, RequestStep, ServiceRequest, ServiceType
from tests.factories import (
    SHANGHAI,
    bind,
    make_account,
    make_area,
    make_id_number,
    make_phone,
    make_portal_user,
    make_staff,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64

_meters = itertools.count(1)
AS_OF = dt.datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)


def valid_form(*, service_type: ServiceType, area_code: str) -> dict:
    answers = {}
    for spec in service_type.form_fields:
        kind, name = spec["kind"], spec["name"]
        if kind == "decimal":
            answers[name] = "50"
        elif kind == "date":
            answers[name] = "2026-12-31" if name == "pause_until" else AS_OF.date().isoformat()
        elif kind == "choice":
            answers[name] = spec["choices"][0][0]
        elif kind == "phone":
            answers[name] = make_phone()
        elif kind == "id_number":
            answers[name] = make_id_number()
        elif kind == "tariff":
            answers[name] = "ZJ-RES-TOU"
        elif kind == "area":
            answers[name] = area_code
        else:
            answers[name] = "测试内容"
    return answers


def file(content: bytes, name: str = "scan.png") -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def new_request(*, code: str, applicant=None, as_of: dt.datetime = AS_OF, form: dict | None = None) -> ServiceRequest:
    """A submitted request of type ``code`` by a customer with one residential account in a fresh area."""
    service_type = ServiceType.objects.get(code=code)
    area = make_area()
    account = make_account(area=area)
    if service_type.staff_only:
        applicant = applicant or make_staff(role=catalogue.ENGINEER)
    else:
        applicant = applicant or make_portal_user()
        bind(user=applicant, account=account)
    return submit_request(
        applicant=applicant,
        service_type_code=code,
        form=form if form is not None else valid_form(service_type=service_type, area_code=area.code),
        as_of=as_of,
        account_number=account.number if service_type.needs_account else None,
    )


def attach_required(service_request: ServiceRequest) -> None:
    for code in service_request.service_type.required_documents:
        RequestAttachment.objects.create(
            request=service_request,
            document_type=code,
            original_name=f"{code}.png",
            content_type="image/png",
            size_bytes=len(PNG),
            sha256="0" * 64,
            stored_path="service-requests/test.png",
            uploaded_by=service_request.applicant,
            uploaded_at=AS_OF,
        )


def place_at(service_request: ServiceRequest, step_code: str, *, at: dt.datetime = AS_OF) -> ServiceRequest:
    """Put the request at ``step_code`` as if the earlier steps had been worked (area known)."""
    RequestStep.objects.filter(request=service_request, finished_at__isnull=True).update(finished_at=at)
    step = service_request.service_type.steps.get(code=step_code)
    RequestStep.objects.create(
        request=service_request,
        code=step_code,
        name=step.name,
        role=step.role,
        started_at=at,
        due_at=sla.due_at(started_at=at, working_days=step.sla_days) if step.sla_days else None,
    )
    service_request.status = step_code
    if service_request.area_id is None:
        service_request.area = make_area()
    service_request.save()
    return service_request


def records_for(step_code: str, service_request: ServiceRequest) -> dict:
    step = service_request.service_type.steps.get(code=step_code)
    values = {
        "meter_no": f"SRM{next(_meters):07d}",
        "meter_multiplier": "1",
        "meter_installed_at": "2026-11-24 09:30",
        "supply_plan": "GD-2026-001",
        "test_result": "误差 +0.3%，合格",
        "invoice_no": "No.00012345",
        "final_reading": "12345.6",
        "answer": "已答复",
        "finding": "表计接线正常",
        "area_code": service_request.area.code if service_request.area_id else make_area().code,
    }
    return {name: values[name] for name in step.records}


ROLES = (*catalogue.roles.ALL_ROLES, catalogue.APPLICANT)
