"""Conditional GETs on the readings and bill API: a strong ETag, 304 while nothing changed, and a new
ETag (with the new figures) after a write that changes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from billing.models import Bill, IngestBatch, Payment, PaymentAllocation, Tariff
from billing.services.ingest.pipeline import create_batch_from_json, process_batch
from tests.factories import SHANGHAI, bind, make_account, make_meter, make_portal_user

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

AS_OF = dt.datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
DAY = {"period_from": "2026-11-01", "period_to": "2026-11-02"}


def ingest(readings: list[tuple[str, str]]) -> None:
    payload = {"readings": [{"meter_no": "M001", "timestamp": t, "kwh": kwh} for t, kwh in readings]}
    process_batch(batch_id=create_batch_from_json(source=IngestBatch.Source.API, payload=payload, as_of=AS_OF).pk)


@pytest.fixture
def world():
    user = make_portal_user()
    account = make_account(contracted_kva=Decimal("8"))
    bind(user=user, account=account)
    meter = make_meter(meter_no="M001", account=account)
    client = APIClient()
    client.force_login(user)
    return {"client": client, "account": account, "meter": meter}


def test_readings_answer_304_until_a_new_batch_lands(world):
    client = world["client"]
    ingest([("2026-11-01T00:00:00+08:00", "0.25")])
    first = client.get("/api/v1/meters/M001/readings", DAY)
    assert first.status_code == 200 and first.json()["results"][0]["consumption_kwh"] == "0.2500"
    etag = first["ETag"]

    again = client.get("/api/v1/meters/M001/readings", DAY, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and not again.content
    # Another question about the same meter is another answer.
    assert (
        client.get("/api/v1/meters/M001/readings", {**DAY, "group_by": "hour"}, HTTP_IF_NONE_MATCH=etag).status_code
        == 200
    )

    ingest([("2026-11-01T00:15:00+08:00", "0.50")])
    changed = client.get("/api/v1/meters/M001/readings", DAY, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert [r["consumption_kwh"] for r in changed.json()["results"]] == ["0.2500", "0.5000"]


def test_register_reads_answer_304_until_a_new_read(world):
    client = world["client"]
    ingest_reads = lambda when, total: process_batch(  # noqa: E731
        batch_id=create_batch_from_json(
            source=IngestBatch.Source.API,
            payload={
                "readings": [
                    {
                        "meter_no": "M001",
                        "read_at": when,
                        "total": total,
                        "sharp": None,
                        "peak": None,
                        "flat": None,
                        "valley": None,
                    }
                ]
            },
            as_of=AS_OF,
        ).pk
    )
    ingest_reads("2026-11-01T00:00:00+08:00", "100")
    etag = client.get("/api/v1/meters/M001/register-reads")["ETag"]
    assert client.get("/api/v1/meters/M001/register-reads", HTTP_IF_NONE_MATCH=etag).status_code == 304
    ingest_reads("2026-11-02T00:00:00+08:00", "112")
    changed = client.get("/api/v1/meters/M001/register-reads", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and [r["total"] for r in changed.json()["results"]] == ["100.00", "112.00"]


def test_a_bill_answers_304_until_it_is_paid(world):
    client, account = world["client"], world["account"]
    bill = Bill.objects.create(
        account=account,
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 11, 1),
        status=Bill.Status.ISSUED,
        tariff=Tariff.objects.get(code="ZJ-RES-FLAT"),
        total_kwh=Decimal("100"),
        annual_kwh_before=Decimal("0"),
        amount=Decimal("53.80"),  # 100 kWh × 0.538
        due_date=dt.date(2026, 11, 16),
    )
    url = f"/api/v1/bills/{bill.pk}"
    first = client.get(url)
    assert first.status_code == 200 and first.json()["outstanding"] == "53.80"
    etag = first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    payment = Payment.objects.create(
        account=account,
        amount=Decimal("20.00"),
        channel=Payment.Channel.COUNTER,
        status=Payment.Status.SUCCEEDED,
        order_no="C-1",
    )
    PaymentAllocation.objects.create(payment=payment, bill=bill, amount=Decimal("20.00"))
    paid = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert paid.status_code == 200 and paid["ETag"] != etag
    assert paid.json()["outstanding"] == "33.80"  # 53.80 − 20.00
