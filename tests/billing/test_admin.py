"""Staff console for meter data: upload → batch, rejected rows, per-day readings, audited edits, retry."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.models import IngestBatch, IntervalReading, MeterDayCompleteness, Quality, ReadingEdit
from security import roles
from security.models import AuditEvent
from tests.factories import SHANGHAI, make_account, make_meter, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_client(client):
    clerk = make_staff(role=roles.BILLING_CLERK)
    client.force_login(clerk)
    client.user = clerk
    return client


@pytest.fixture
def meter():
    return make_meter(meter_no="M001", account=make_account(contracted_kva=Decimal("8")))


def test_upload_creates_a_batch_that_is_processed(clerk_client, meter, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile(
        "curve.csv", b"meter_no,timestamp,kwh\nM001,2026-11-01T00:00:00+08:00,0.5\nM001,2026-11-01T00:15:00+08:00,-1\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(reverse("admin:billing_ingestbatch_upload"), {"file": upload})
    batch = IngestBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:billing_ingestbatch_change", args=[batch.pk])
    batch.refresh_from_db()
    assert (batch.source, batch.status, batch.inserted, batch.rejected) == ("admin", "completed", 1, 1)
    page = clerk_client.get(response.url).content.decode()
    assert "negative kWh" in page  # the rejected row is listed inline with its reason
    assert "M001,2026-11-01T00:15:00+08:00,-1" in page


def test_upload_of_an_unknown_layout_is_a_form_error(clerk_client):
    upload = SimpleUploadedFile("x.csv", b"foo,bar\n1,2\n")
    response = clerk_client.post(reverse("admin:billing_ingestbatch_upload"), {"file": upload})
    assert response.status_code == 200
    assert "unrecognised header foo,bar" in response.content.decode()
    assert not IngestBatch.objects.exists()


def test_analyst_cannot_upload(client):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    assert client.get(reverse("admin:billing_ingestbatch_upload")).status_code == 403


def test_readings_by_day_and_an_audited_edit(clerk_client, meter):
    start = dt.datetime(2026, 11, 1, tzinfo=SHANGHAI)
    IntervalReading.objects.create(meter=meter, interval_start=start, kwh=Decimal("0.5"))
    url = reverse("admin:billing_meter_readings", args=[meter.pk]) + "?day=2026-11-01"
    page = clerk_client.get(url)
    assert len(page.context["rows"]) == 96
    assert page.context["rows"][0][1].kwh == Decimal("0.5000")
    response = clerk_client.post(
        url, {"interval_start": start.isoformat(), "kwh": "0.42", "reason": "CT wiring fault confirmed on site"}
    )
    assert response.status_code == 302
    reading = IntervalReading.objects.get(meter=meter, interval_start=start)
    assert (reading.kwh, reading.quality) == (Decimal("0.4200"), Quality.EDITED)
    # The day's row follows the edit: one edited interval, and 0.42 kWh where the day had 0.5.
    day = MeterDayCompleteness.objects.get(meter=meter, day=dt.date(2026, 11, 1))
    assert (day.actual, day.edited, day.kwh) == (0, 1, Decimal("0.4200"))
    edit = ReadingEdit.objects.get()
    assert (edit.old_kwh, edit.new_kwh, edit.reason, edit.edited_by) == (
        Decimal("0.5000"),
        Decimal("0.4200"),
        "CT wiring fault confirmed on site",
        clerk_client.user,
    )
    event = AuditEvent.objects.get(object_type="billing.intervalreading")
    assert event.details["old_kwh"] == "0.5000" and event.details["new_kwh"] == "0.4200"


def test_edit_without_reason_changes_nothing(clerk_client, meter):
    start = dt.datetime(2026, 11, 1, tzinfo=SHANGHAI)
    IntervalReading.objects.create(meter=meter, interval_start=start, kwh=Decimal("0.5"))
    url = reverse("admin:billing_meter_readings", args=[meter.pk]) + "?day=2026-11-01"
    response = clerk_client.post(url, {"interval_start": start.isoformat(), "kwh": "0.42", "reason": "  "}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert IntervalReading.objects.get(meter=meter, interval_start=start).kwh == Decimal("0.5000")
    assert not ReadingEdit.objects.exists()


def test_analyst_sees_readings_but_may_not_edit(client, meter):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    start = dt.datetime(2026, 11, 1, tzinfo=SHANGHAI)
    url = reverse("admin:billing_meter_readings", args=[meter.pk]) + "?day=2026-11-01"
    page = client.get(url)
    assert page.status_code == 200 and page.context["can_edit"] is False
    response = client.post(url, {"interval_start": start.isoformat(), "kwh": "1", "reason": "x"})
    assert response.status_code == 403
    assert not IntervalReading.objects.exists()


def test_retry_action_requeues_a_failed_batch(clerk_client, meter, tmp_path, django_capture_on_commit_callbacks):
    path = tmp_path / "ok.csv"
    path.write_text("meter_no,timestamp,kwh\nM001,2026-11-01T00:00:00+08:00,0.5\n")
    from billing.services.ingest import create_batch

    batch = create_batch(
        source="command", path=path, filename="ok.csv", as_of=dt.datetime(2026, 11, 20, tzinfo=SHANGHAI)
    )
    IngestBatch.objects.filter(pk=batch.pk).update(status=IngestBatch.Status.FAILED, error="worker lost")
    with django_capture_on_commit_callbacks(execute=True):
        clerk_client.post(
            reverse("admin:billing_ingestbatch_changelist"),
            {"action": "retry_selected", "_selected_action": [batch.pk]},
        )
    batch.refresh_from_db()
    assert (batch.status, batch.inserted, batch.error) == ("completed", 1, "")


def test_failed_batches_show_their_error_and_attempts_in_the_list_and_detail(clerk_client, meter, tmp_path):
    from billing.services.ingest import create_batch

    path = tmp_path / "ok.csv"
    path.write_text("meter_no,timestamp,kwh\nM001,2026-11-01T00:00:00+08:00,0.5\n")
    as_of = dt.datetime(2026, 11, 20, tzinfo=SHANGHAI)
    failed = create_batch(source="api", path=path, filename="poison.csv", as_of=as_of)
    fine = create_batch(source="api", path=path, filename="fine.csv", as_of=as_of)
    IngestBatch.objects.filter(pk=failed.pk).update(
        status=IngestBatch.Status.FAILED, attempts=3, error="gave up after 3 attempts that did not finish"
    )
    IngestBatch.objects.filter(pk=fine.pk).update(status=IngestBatch.Status.COMPLETED)
    changelist = reverse("admin:billing_ingestbatch_changelist")
    page = clerk_client.get(changelist, {"status__exact": "failed"}).content.decode()
    assert "poison.csv" in page and "gave up after 3 attempts that did not finish" in page
    assert "fine.csv" not in page
    detail = clerk_client.get(reverse("admin:billing_ingestbatch_change", args=[failed.pk])).content.decode()
    assert "gave up after 3 attempts that did not finish" in detail
