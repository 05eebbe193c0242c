"""POST /api/v1/meter-data/batches → 202 + id; GET the batch for status, counts and rejected rows."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from billing.models import IngestBatch, IntervalReading
from security import roles
from tests.factories import bind, make_account, make_meter, make_portal_user, make_staff

pytestmark = pytest.mark.django_db
URL = "/api/v1/meter-data/batches"
CSV = b"meter_no,timestamp,kwh\nM001,2026-11-01T00:00:00+08:00,0.5\nM001,2026-11-01T00:15:00+08:00,abc\n"


@pytest.fixture
def head_end():
    user = get_user_model().objects.create_user(username="hes-zj", kind="integrator")
    user.groups.add(Group.objects.get(name="integration_meter_head_end"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def meter():
    return make_meter(meter_no="M001", account=make_account(contracted_kva=Decimal("8")))


def test_file_upload_is_accepted_processed_and_reported(head_end, meter, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = head_end.post(URL, {"file": SimpleUploadedFile("c.csv", CSV)}, format="multipart")
    assert response.status_code == 202
    assert response.json()["layout"] == "interval_long"
    detail = head_end.get(f"{URL}/{response.json()['id']}").json()
    assert (detail["status"], detail["attempts"], detail["error"]) == ("completed", 1, "")
    assert (detail["received"], detail["inserted"], detail["rejected"]) == (2, 1, 1)
    assert detail["rejected_rows"] == [
        {
            "line_number": 3,
            "reason_code": "malformed",
            "message": "kWh value is not a number",
            "raw": "M001,2026-11-01T00:15:00+08:00,abc",
        }
    ]
    assert IntervalReading.objects.get().kwh == Decimal("0.5000")


def test_json_readings_batch(head_end, meter, django_capture_on_commit_callbacks):
    body = {"readings": [{"meter_no": "M001", "timestamp": "2026-11-01T00:00:00+08:00", "kwh": "0.25"}]}
    with django_capture_on_commit_callbacks(execute=True):
        response = head_end.post(URL, body, format="json")
    assert response.status_code == 202
    batch = IngestBatch.objects.get(pk=response.json()["id"])
    assert (batch.source, batch.status, batch.inserted) == ("api", "completed", 1)


def test_json_register_reads_with_reactive_energy_price_the_power_factor(head_end, django_capture_on_commit_callbacks):
    """A two-part industrial meter pushed as JSON with its reactive register: the bill computes cos φ
    from it (3,000 kWh, 1,859.20 kvarh → 0.850) instead of being held for "no power factor"."""
    import datetime as dt

    from billing.models import Bill, RegisterRead, Tariff, TariffAssignment
    from billing.services.billing_run import run_billing, start_billing_run
    from customers.models import Account
    from tests.factories import SHANGHAI, make_account, make_meter

    account = make_account(category=Account.Category.INDUSTRIAL, contracted_kva=Decimal("1000"), voltage_level="10kV")
    make_meter(meter_no="G7", account=account)
    TariffAssignment.objects.create(
        account=account, tariff=Tariff.objects.get(code="EX-IND-2P"), valid_from=dt.date(2024, 1, 1)
    )
    record = {"meter_no": "G7", "sharp": "0", "peak": "0", "flat": "0", "valley": "0"}
    body = {
        "readings": [
            {**record, "read_at": "2026-11-01T00:00:00+08:00", "total": "0", "reactive": "0"},
            {
                **record,
                "read_at": "2026-12-01T00:00:00+08:00",
                "total": "3000",
                "peak": "1000",
                "flat": "1000",
                "valley": "1000",
                "reactive": "1859.20",
            },
        ]
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert head_end.post(URL, body, format="json").status_code == 202
    assert sorted(RegisterRead.objects.filter(meter__meter_no="G7").values_list("reactive", flat=True)) == [
        Decimal("0.00"),
        Decimal("1859.20"),
    ]
    run = start_billing_run(
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 12, 1),
        as_of=dt.datetime(2026, 12, 2, 9, tzinfo=SHANGHAI),
        account_ids=[account.pk],
    )
    run_billing(run_id=run.pk)
    bill = Bill.objects.get(account=account)
    assert (bill.status, bill.power_factor) == ("issued", Decimal("0.850"))


@pytest.mark.parametrize(
    ("payload", "fmt", "field", "fragment"),
    [
        ({}, "json", "non_field_errors", "either a file"),
        ({"readings": []}, "json", "non_field_errors", "either a file"),
        ({"readings": [{"foo": 1}]}, "json", "readings", "unrecognised header foo"),
        ({"readings": "nope"}, "json", "readings", ""),
        ({"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")}, "multipart", "file", "unrecognised header a,b"),
        ({"file": SimpleUploadedFile("e.csv", b"")}, "multipart", "file", ""),
    ],
)
def test_bad_uploads_are_400_naming_the_field(head_end, payload, fmt, field, fragment):
    response = head_end.post(URL, payload, format=fmt)
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert field in fields
    assert fragment in " ".join(map(str, fields[field]))
    assert not IngestBatch.objects.exists()


def test_malformed_json_body_is_400_not_500(head_end):
    response = head_end.generic("POST", URL, b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_customers_and_roles_without_ingest_permission_are_refused(meter):
    client = APIClient()
    assert client.post(URL, {"readings": []}, format="json").status_code in (401, 403)
    customer = make_portal_user()
    bind(user=customer, account=meter.account)
    client.force_authenticate(customer)
    assert client.post(URL, {"file": SimpleUploadedFile("c.csv", CSV)}, format="multipart").status_code == 403
    assert client.get(URL).status_code == 403
    analyst = APIClient()
    analyst.force_authenticate(make_staff(role=roles.MARKETING_ANALYST))
    assert analyst.post(URL, {"file": SimpleUploadedFile("c.csv", CSV)}, format="multipart").status_code == 403
    assert not IngestBatch.objects.exists()


def test_clerk_lists_batches_newest_first(meter, tmp_path):
    from billing.services.ingest import create_batch

    path = tmp_path / "a.csv"
    path.write_bytes(CSV)
    first = create_batch(source="command", path=path, filename="a.csv", as_of=meter.installed_at)
    second = create_batch(source="command", path=path, filename="b.csv", as_of=meter.installed_at)
    clerk = APIClient()
    clerk.force_authenticate(make_staff(role=roles.BILLING_CLERK))
    results = clerk.get(URL).json()["results"]
    assert [r["id"] for r in results] == [second.pk, first.pk]
