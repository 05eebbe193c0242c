"""Spreadsheet bombs (#13 finding 6): no workbook is opened in a web request; the request checks the
zip's declared sizes only (nothing decompressed) and refuses a bomb at once, naming the limit; the
ingest queue reads the sheet within limits on rows, columns and time."""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import time
import zipfile
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from billing.models import IngestBatch, IntervalReading
from billing.services.ingest import create_batch, process_batch
from security import roles
from tests.factories import SHANGHAI, make_account, make_meter, make_staff

pytestmark = pytest.mark.django_db
URL = "/api/v1/meter-data/batches"
AS_OF = dt.datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
LONG = ["meter_no", "timestamp", "kwh"]


@pytest.fixture
def head_end():
    user = get_user_model().objects.create_user(username="hes-bomb", kind="integrator")
    user.groups.add(Group.objects.get(name="integration_meter_head_end"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def meter():
    return make_meter(meter_no="M001", account=make_account(contracted_kva=Decimal("8")))


def workbook_bytes(rows: list[list], *, header: list | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header or LONG)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def readings(n: int) -> list[list]:
    start = dt.datetime(2026, 11, 1)
    return [["M001", start + dt.timedelta(minutes=15 * i), 0.25] for i in range(n)]


def ratio_bomb(*, zeros_mib: int = 8) -> bytes:
    """A workbook-shaped zip whose sheet is megabytes of zeros compressed ~1,000:1."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            for _ in range(zeros_mib):
                part.write(bytes(1 << 20))
    return buffer.getvalue()


def declared_size_bomb() -> bytes:
    """A real small workbook whose zip directory claims its sheet unpacks to 2 GiB."""
    content = bytearray(workbook_bytes(readings(2)))
    at = content.find(b"PK\x01\x02", 0)
    while at >= 0:
        name_length = struct.unpack_from("<H", content, at + 28)[0]
        if content[at + 46 : at + 46 + name_length] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", content, at + 24, 2**31 - 1)  # the uncompressed size field
            return bytes(content)
        at = content.find(b"PK\x01\x02", at + 4)
    raise AssertionError("no sheet in the workbook")


@pytest.mark.parametrize(
    ("bomb", "fragments"),
    [
        (ratio_bomb, ["compression ratio", "100:1", "xl/worksheets/sheet1.xml"]),
        (declared_size_bomb, ["uncompressed size", "268,435,456 bytes", "2,147,483,647"]),
    ],
)
def test_a_bomb_is_refused_in_the_request_at_once_naming_the_limit(head_end, bomb, fragments):
    content = bomb()
    started = time.monotonic()
    response = head_end.post(URL, {"file": SimpleUploadedFile("bomb.xlsx", content)}, format="multipart")
    elapsed = time.monotonic() - started
    assert response.status_code == 400
    message = " ".join(response.json()["error"]["fields"]["file"])
    for fragment in fragments:
        assert fragment in message
    assert elapsed < 2, f"refusing took {elapsed:.1f} s"
    assert not IngestBatch.objects.exists()


def test_the_admin_upload_refuses_a_bomb_with_the_limit_in_the_form(client):
    client.force_login(make_staff(role=roles.BILLING_CLERK))
    upload = SimpleUploadedFile("bomb.xlsx", ratio_bomb())
    response = client.post(reverse("admin:billing_ingestbatch_upload"), {"file": upload})
    assert response.status_code == 200
    assert "the limit on the compression ratio is 100:1" in response.content.decode()
    assert not IngestBatch.objects.exists()


def test_no_workbook_is_opened_in_the_request(head_end, meter, monkeypatch, django_capture_on_commit_callbacks):
    """The request only checks the zip directory; openpyxl runs on the ingest queue."""
    import openpyxl

    real_load_workbook = openpyxl.load_workbook

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl opened a workbook inside the request")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    content = workbook_bytes(readings(3))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = head_end.post(URL, {"file": SimpleUploadedFile("curve.xlsx", content)}, format="multipart")
    assert response.status_code == 202
    assert response.json()["layout"] == ""  # known once the worker has read the header
    monkeypatch.setattr(openpyxl, "load_workbook", real_load_workbook)
    for callback in callbacks:  # what the worker does after the request
        callback()
    batch = IngestBatch.objects.get(pk=response.json()["id"])
    assert (batch.status, batch.layout, batch.inserted) == ("completed", "interval_long", 3)


def _ingest_workbook(tmp_path, content: bytes) -> IngestBatch:
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(content)
    batch = create_batch(source=IngestBatch.Source.API, path=path, filename=path.name, as_of=AS_OF)
    return process_batch(batch_id=batch.pk)


def with_dimension(content: bytes, ref: str) -> bytes:
    """The workbook with its sheet's declared <dimension> replaced (a writer may get it wrong)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename == "xl/worksheets/sheet1.xml":
                data, replaced = re.subn(
                    rb'<dimension ref="[A-Z0-9:]+"\s*/>', f'<dimension ref="{ref}"/>'.encode(), data
                )
                assert replaced == 1
            target.writestr(part, data)
    return buffer.getvalue()


def test_rows_over_the_limit_fail_the_batch_with_the_limit(meter, tmp_path, settings):
    settings.INGEST_XLSX_MAX_ROWS = 4
    declared = _ingest_workbook(tmp_path, workbook_bytes(readings(6)))  # <dimension ref="A1:C7">
    assert (declared.status, declared.error) == ("failed", "the sheet declares 7 rows; the limit is 4 rows of data")
    # A sheet that understates its size is counted while it is read.
    counted = _ingest_workbook(tmp_path, with_dimension(workbook_bytes(readings(6)), "A1:C2"))
    assert (counted.status, counted.error) == ("failed", "the sheet has more than 4 rows of data; the limit is 4")
    assert not IntervalReading.objects.exists()
    settings.INGEST_XLSX_MAX_ROWS = 6
    assert _ingest_workbook(tmp_path, workbook_bytes(readings(6))).inserted == 6


def test_columns_over_the_limit_fail_the_batch_with_the_limit(meter, tmp_path, settings):
    settings.INGEST_XLSX_MAX_COLUMNS = 10
    wide_row = ["M001", dt.datetime(2026, 11, 1), 0.25, *([None] * 8), "far right"]  # column 12
    batch = _ingest_workbook(tmp_path, workbook_bytes([readings(1)[0], wide_row]))
    assert batch.status == IngestBatch.Status.FAILED
    assert batch.error == "row 3 has more than 10 columns; the limit is 10"


def test_reading_time_over_the_limit_fails_the_batch_with_the_limit(meter, tmp_path, settings, monkeypatch):
    from billing.services.ingest import spreadsheets

    monkeypatch.setattr(spreadsheets, "TIME_CHECK_ROWS", 1)
    settings.INGEST_XLSX_MAX_SECONDS = 0
    batch = _ingest_workbook(tmp_path, workbook_bytes(readings(3)))
    assert batch.status == IngestBatch.Status.FAILED
    assert "reading the workbook took" in batch.error and "the limit is 0 s" in batch.error


def test_too_many_zip_parts_are_refused_before_the_directory_is_read(tmp_path, settings):
    from billing.services.ingest import BatchInputError

    settings.INGEST_XLSX_MAX_PARTS = 3
    path = tmp_path / "parts.xlsx"
    path.write_bytes(workbook_bytes(readings(1)))
    with pytest.raises(BatchInputError, match=r"the workbook has \d+ parts; the limit is 3"):
        create_batch(source=IngestBatch.Source.API, path=path, filename=path.name, as_of=AS_OF)


def test_every_row_is_read_even_when_the_sheet_understates_its_dimension(meter, tmp_path):
    """openpyxl trusts the sheet's <dimension> and silently drops the rows after it; the reader
    asks for its own row bound, so every row is stored or rejected."""
    content = with_dimension(workbook_bytes(readings(4)), "A1:C2")
    batch = _ingest_workbook(tmp_path, content)
    assert (batch.status, batch.received, batch.inserted) == ("completed", 4, 4)


def test_a_real_export_is_well_inside_the_ratio_limit(meter, tmp_path):
    """The default ratio limit (100:1) leaves real exports alone: a repetitive curve compresses ~10:1."""
    content = workbook_bytes(readings(1500))
    ratios = [p.file_size / p.compress_size for p in zipfile.ZipFile(io.BytesIO(content)).infolist() if p.compress_size]
    assert max(ratios) < 20
    batch = _ingest_workbook(tmp_path, content)
    assert (batch.status, batch.inserted) == ("completed", 1500)


def test_a_row_a_million_rows_down_costs_no_million_lines(meter, tmp_path):
    """openpyxl fills the gap before <row r="1000000"> with empty rows; they are skipped, not sent
    through the pipeline as a million blank lines (which took minutes), and line numbers hold."""
    content = with_dimension(workbook_bytes([["M001", "2026-11-01T00:15:00+08:00", "bad"]]), "A1:C2")
    content = _replace_in_sheet(content, b'<row r="2"', b'<row r="1000000"')
    content = _replace_in_sheet(content, b'r="A2"', b'r="A1000000"')
    started = time.monotonic()
    batch = _ingest_workbook(tmp_path, content)
    assert time.monotonic() - started < 10
    assert (batch.status, batch.received, batch.rejected) == ("completed", 1, 1)
    assert batch.rejected_rows.get().line_number == 1_000_000


def _replace_in_sheet(content: bytes, old: bytes, new: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename == "xl/worksheets/sheet1.xml":
                assert old in data
                data = data.replace(old, new)
            target.writestr(part, data)
    return buffer.getvalue()


def test_a_part_declaring_entities_is_refused_before_any_xml_parser(meter, tmp_path):
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
    content = _replace_in_sheet(workbook_bytes(readings(1)), b"<worksheet", laughs + b"<worksheet")
    batch = _ingest_workbook(tmp_path, content)
    assert (batch.status, batch.error) == ("failed", "part xl/worksheets/sheet1.xml declares a DTD; workbooks never do")
