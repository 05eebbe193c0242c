"""Pagination of /api/v1/ lists: page numbers, page_size, limits and out-of-range pages."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from security import roles
from tests.factories import make_account, make_area, make_customer, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> APIClient:
    client = APIClient()
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    return client


@pytest.fixture
def accounts():
    area = make_area(code="A-PAGE")
    customer = make_customer()
    return [make_account(customer=customer, area=area, number=f"35{n:08d}") for n in range(1, 8)]


def test_pages_cover_every_row_once_in_order(client, accounts):
    numbers, url, pages = [], "/api/v1/accounts?page_size=3", 0
    while url:
        body = client.get(url).json()
        assert body["count"] == 7
        numbers += [row["number"] for row in body["results"]]
        url, pages = body["next"], pages + 1

    assert pages == 3
    assert numbers == [a.number for a in accounts]


def test_second_page_links_back_and_forward(client, accounts):
    body = client.get("/api/v1/accounts", {"page_size": 3, "page": 2}).json()

    assert [row["number"] for row in body["results"]] == [a.number for a in accounts[3:6]]
    assert "page=3" in body["next"] and "page_size=3" in body["next"]
    assert body["previous"].endswith("/api/v1/accounts?page_size=3")


def test_default_page_size_and_upper_limit(client, accounts):
    from django.conf import settings

    assert settings.REST_FRAMEWORK["PAGE_SIZE"] == 50
    assert len(client.get("/api/v1/accounts").json()["results"]) == 7
    # Asking for more than max_page_size gets max_page_size, not an error.
    assert len(client.get("/api/v1/accounts", {"page_size": 10_000}).json()["results"]) == 7


@pytest.mark.parametrize("page", ["99", "0", "abc", "-1"])
def test_out_of_range_or_malformed_page_is_a_json_404(client, accounts, page):
    response = client.get("/api/v1/accounts", {"page": page})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_malformed_page_size_falls_back_to_the_default(client, accounts):
    response = client.get("/api/v1/accounts", {"page_size": "lots"})

    assert response.status_code == 200 and len(response.json()["results"]) == 7


def test_filters_apply_before_pagination(client, accounts):
    make_account(area=make_area(code="A-ELSE"), number="3600000001")

    body = client.get("/api/v1/accounts", {"area": "A-PAGE", "page_size": 5, "page": 2}).json()

    assert body["count"] == 7
    assert [row["number"] for row in body["results"]] == [a.number for a in accounts[5:]]
