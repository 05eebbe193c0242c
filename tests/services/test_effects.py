"""What completing a request changes: new account + meter + tariff + binding, capacity from its date,
pause and resume, tariff change from its date, owner transfer, closure with its final billing run.
And attachments: content checked by magic bytes, private storage, only visible to who may see the request."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from billing.models import BillingRun, Meter, TariffAssignment
from customers.models import Account, PortalBinding
from services import catalogue
from services.actions.attachments import add_attachment, attachment_path
from services.actions.effects import apply_due_changes
from services.actions.requests import TransitionRefused, transition_request
from services.models import RequestAttachment, ScheduledAccountChange
from services.selectors.requests import attachment_visible_to, private_answers
from tests.factories import SHANGHAI, make_area, make_portal_user, make_staff
from tests.services.request_helpers import AS_OF, EXE, PDF, PNG, file, new_request, place_at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    """Messages are asserted in the source language (the UI defaults to Chinese)."""
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def finish(service_request, *, role: str, recorded: dict | None = None, as_of=AS_OF):
    return transition_request(
        actor=make_staff(role=role),
        service_request_id=service_request.pk,
        action="advance",
        as_of=as_of,
        recorded=recorded or {},
    )


def test_residential_connection_creates_account_meter_tariff_and_binding():
    service_request = new_request(code="res_new_connection")
    place_at(service_request, "meter_installation")
    done = finish(
        service_request,
        role=catalogue.ENGINEER,
        recorded={"meter_no": "SR-NEW-0001", "meter_installed_at": "2026-11-24 09:30"},
    )
    account = Account.objects.get(number=done.effect_result["account"])
    personal = private_answers(service_request=done)
    assert account.customer.name == personal["applicant_name"]
    assert account.customer.id_number == personal["applicant_id_number"]
    assert (account.category, account.voltage_level, account.contracted_kva) == ("residential", "220V", Decimal("50"))
    assert account.area == done.area and account.opened_on == dt.date(2026, 11, 24)
    meter = Meter.objects.get(meter_no="SR-NEW-0001")
    assert meter.account == account and meter.installed_at == dt.datetime(2026, 11, 24, 9, 30, tzinfo=SHANGHAI)
    assert TariffAssignment.objects.get(account=account).tariff.code == "ZJ-RES-FLAT"
    assert PortalBinding.objects.get(account=account).user == done.applicant
    assert done.account == account


def test_new_connection_cannot_complete_without_a_transformer_area():
    service_request = new_request(code="res_new_connection")
    place_at(service_request, "meter_installation")
    service_request.area = None
    service_request.save()
    with pytest.raises(TransitionRefused) as refused:
        finish(
            service_request,
            role=catalogue.ENGINEER,
            recorded={"meter_no": "X1", "meter_installed_at": "2026-11-24 09:30"},
        )
    assert refused.value.code == "effect"
    service_request.refresh_from_db()
    assert service_request.status == "meter_installation"  # nothing half-done


def test_capacity_change_applies_from_its_effective_date():
    service_request = new_request(code="capacity_reduction")
    service_request.form_data.update(new_kva="30", effective_on="2026-12-01")
    service_request.save()
    place_at(service_request, "site_survey")
    finish(service_request, role=catalogue.ENGINEER)
    account = service_request.account
    account.refresh_from_db()
    assert account.contracted_kva == Decimal("8.00")  # factory default: not changed before 1 December
    change = ScheduledAccountChange.objects.get(request=service_request)
    assert (change.field, change.value, change.applied_at) == ("contracted_kva", "30", None)
    assert apply_due_changes(as_of=dt.datetime(2026, 11, 30, 23, 0, tzinfo=SHANGHAI)) == 0
    assert apply_due_changes(as_of=dt.datetime(2026, 12, 1, 0, 10, tzinfo=SHANGHAI)) == 1
    account.refresh_from_db()
    assert account.contracted_kva == Decimal("30")
    assert apply_due_changes(as_of=dt.datetime(2026, 12, 2, tzinfo=SHANGHAI)) == 0  # once


def test_pause_sets_paused_now_and_schedules_the_resumption():
    service_request = new_request(code="pause")  # effective today, resume 2026-12-31
    place_at(service_request, "site_survey")
    finish(service_request, role=catalogue.ENGINEER)
    account = Account.objects.get(pk=service_request.account_id)
    assert account.status == Account.Status.PAUSED
    apply_due_changes(as_of=dt.datetime(2026, 12, 31, 1, 0, tzinfo=SHANGHAI))
    account.refresh_from_db()
    assert account.status == Account.Status.ACTIVE


def test_tariff_change_starts_the_new_tariff_on_the_effective_date():
    from billing.models import Tariff

    service_request = new_request(code="tariff_change")
    service_request.form_data.update(new_tariff="ZJ-RES-TOU", effective_on="2026-12-01")
    service_request.save()
    TariffAssignment.objects.create(
        account=service_request.account, tariff=Tariff.objects.get(code="ZJ-RES-FLAT"), valid_from=dt.date(2026, 1, 1)
    )
    place_at(service_request, "review")
    finish(service_request, role=catalogue.CLERK)
    rows = list(
        TariffAssignment.objects.filter(account=service_request.account).values_list(
            "tariff__code", "valid_from", "valid_to"
        )
    )
    assert rows == [
        ("ZJ-RES-FLAT", dt.date(2026, 1, 1), dt.date(2026, 12, 1)),
        ("ZJ-RES-TOU", dt.date(2026, 12, 1), None),
    ]


def test_tariff_of_another_category_is_refused():
    service_request = new_request(code="tariff_change")
    service_request.form_data.update(new_tariff="EX-IND-2P")
    service_request.save()
    place_at(service_request, "review")
    with pytest.raises(TransitionRefused) as refused:
        finish(service_request, role=catalogue.CLERK)
    assert refused.value.code == "effect" and "industrial" in refused.value.message


def test_owner_transfer_moves_the_account_and_ends_old_online_access():
    service_request = new_request(code="transfer")
    old_customer = service_request.account.customer
    place_at(service_request, "review")
    finish(service_request, role=catalogue.CLERK)  # transfer_kind = first choice: name_change
    old_customer.refresh_from_db()
    assert old_customer.name == private_answers(service_request=service_request)["new_name"]

    transfer = new_request(code="transfer")
    transfer.form_data["transfer_kind"] = "owner_transfer"
    transfer.save()
    previous = transfer.account.customer_id
    place_at(transfer, "review")
    finish(transfer, role=catalogue.CLERK)
    account = Account.objects.get(pk=transfer.account_id)
    assert account.customer_id != previous
    assert account.customer.id_number == private_answers(service_request=transfer)["new_id_number"]
    assert not PortalBinding.objects.filter(account=account).exists()


def test_closure_closes_the_account_removes_the_meter_and_starts_the_final_bill():
    from tests.factories import make_meter

    service_request = new_request(code="closure")  # effective today, 2026-11-24
    meter = make_meter(account=service_request.account)
    place_at(service_request, "settlement")
    done = finish(service_request, role=catalogue.CLERK)
    account = Account.objects.get(pk=done.account_id)
    assert (account.status, account.closed_on) == (Account.Status.CLOSED, dt.date(2026, 11, 24))
    meter.refresh_from_db()
    assert meter.removed_at == dt.datetime(2026, 11, 24, tzinfo=SHANGHAI)
    run = BillingRun.objects.get(pk=done.effect_result["final_billing_run"])
    assert (run.period_start, run.period_end, run.account_ids) == (
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 1),
        [account.pk],
    )


def test_closure_cannot_settle_before_its_date():
    service_request = new_request(code="closure")
    service_request.form_data["effective_on"] = "2026-12-15"
    service_request.save()
    place_at(service_request, "settlement")
    with pytest.raises(TransitionRefused) as refused:
        finish(service_request, role=catalogue.CLERK)
    assert refused.value.code == "effect"


# --- attachments ------------------------------------------------------------------------------------


@pytest.fixture
def private_root(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    return tmp_path


def test_attachment_is_stored_privately_with_its_sha256(private_root):
    service_request = new_request(code="res_new_connection")
    attachment = add_attachment(
        actor=service_request.applicant,
        service_request=service_request,
        document_type="id_card",
        filename="../../身份证.pdf",
        content=file(PDF),
        as_of=AS_OF,
    )
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (attachment.content_type, attachment.size_bytes, attachment.original_name) == (
        "application/pdf",
        len(PDF),
        "身份证.pdf",
    )
    stored = attachment_path(attachment)
    assert stored.read_bytes() == PDF and stored.is_relative_to(private_root)
    assert oct(stored.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (EXE, "scan.pdf", "Only PDF, JPEG and PNG"),  # a renamed Windows executable
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 40, "photo.jpg", "Only PDF, JPEG and PNG"),
        (b"<html><script>alert(1)</script>", "id.png", "Only PDF, JPEG and PNG"),
        (b"", "empty.pdf", "empty"),
    ],
)
def test_files_are_judged_by_their_bytes_not_their_name(private_root, content, name, message):
    service_request = new_request(code="res_new_connection")
    with pytest.raises(ValidationError) as error:
        add_attachment(
            actor=service_request.applicant,
            service_request=service_request,
            document_type="id_card",
            filename=name,
            content=file(content, name),
            as_of=AS_OF,
        )
    assert message in " ".join(error.value.messages)
    assert not RequestAttachment.objects.exists()
    assert not any(Path(private_root).rglob("*.*"))


def test_size_limit_and_document_type(private_root, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    service_request = new_request(code="res_new_connection")
    with pytest.raises(ValidationError) as error:
        add_attachment(
            actor=service_request.applicant,
            service_request=service_request,
            document_type="id_card",
            filename="big.png",
            content=file(PNG + b"\x00" * 100),
            as_of=AS_OF,
        )
    assert "larger than" in " ".join(error.value.messages)
    with pytest.raises(ValidationError) as error:
        add_attachment(
            actor=service_request.applicant,
            service_request=service_request,
            document_type="business_licence",
            filename="licence.png",
            content=file(PNG),
            as_of=AS_OF,
        )
    assert "document_type" in error.value.message_dict


def test_only_the_applicant_and_staff_reach_a_file(private_root):
    service_request = new_request(code="res_new_connection")
    attachment = add_attachment(
        actor=service_request.applicant,
        service_request=service_request,
        document_type="id_card",
        filename="id.png",
        content=file(PNG),
        as_of=AS_OF,
    )
    assert (
        attachment_visible_to(user=service_request.applicant, attachment_public_id=attachment.public_id) == attachment
    )
    assert attachment_visible_to(user=make_staff(role=catalogue.CSA), attachment_public_id=attachment.public_id)
    with pytest.raises(RequestAttachment.DoesNotExist):
        attachment_visible_to(user=make_portal_user(), attachment_public_id=attachment.public_id)
    with pytest.raises(ValidationError):  # nor may another customer add files to it
        add_attachment(
            actor=make_portal_user(),
            service_request=service_request,
            document_type="id_card",
            filename="id.png",
            content=file(PNG),
            as_of=AS_OF,
        )


def test_area_code_recorded_at_survey_must_exist():
    service_request = new_request(code="res_new_connection")
    place_at(service_request, "site_survey")
    with pytest.raises(TransitionRefused) as refused:
        finish(service_request, role=catalogue.ENGINEER, recorded={"area_code": "NO-SUCH-AREA"})
    assert refused.value.code == "records"
    area = make_area()
    done = finish(service_request, role=catalogue.ENGINEER, recorded={"area_code": area.code})
    assert done.area == area and done.status == "meter_installation"
