"""List endpoints run a fixed number of queries however many rows they return (no N+1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from customers.models import Interaction, Tag
from security import roles
from tests.factories import make_account, make_area, make_customer, make_staff

pytestmark = pytest.mark.django_db


def add_rows(n: int) -> None:
    tag, _ = Tag.objects.get_or_create(name="VIP")
    area = make_area()
    for i in range(n):
        customer = make_customer()
        customer.tags.add(tag)
        account = make_account(customer=customer, area=area)
        Interaction.objects.create(
            customer=customer,
            account=account,
            channel="hotline",
            topic="咨询",
            occurred_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=i),
        )


def queries_for(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url", ["/api/v1/customers", "/api/v1/accounts", "/api/v1/interactions", "/api/v1/transformer-areas"]
)
def test_list_query_count_does_not_grow_with_rows(url):
    client = APIClient()
    client.force_login(make_staff(role=roles.SYSTEM_ADMINISTRATOR))
    add_rows(2)
    few = queries_for(client, url)
    add_rows(8)
    many = queries_for(client, url)

    assert many == few, f"{url}: {few} queries for few rows, {many} for many"
