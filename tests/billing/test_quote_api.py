"""POST /api/v1/tariffs/{code}/quote: itemised lines and total as decimal strings; 400 naming the field."""

import pytest
from rest_framework.test import APIClient

from tests.factories import make_portal_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(make_portal_user())
    return client


def test_customer_gets_an_itemised_quote(api):
    # Before 2,600; +300 → tier 1 160 kWh, tier 2 140 kWh.
    # energy 300 × 0.538 = 161.40; tier-2 surcharge 140 × 0.05 = 7.00; total 168.40
    body = {
        "period_start": "2026-11-01",
        "period_end": "2026-12-01",
        "consumption": {"total": "300"},
        "annual_kwh_before": "2600",
    }
    response = api.post("/api/v1/tariffs/ZJ-RES-FLAT/quote", body, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["total"] == "168.40"
    assert [(line["code"], line["quantity"], line["rate"], line["amount"]) for line in data["lines"]] == [
        ("energy_total", "300.0000", "0.53800", "161.40"),
        ("tier2", "140.0000", "0.05000", "7.00"),
    ]
    assert data["tier_kwh"] == {"1": "160.0000", "2": "140.0000", "3": "0.0000"}
    assert data["split_method"] is None


def test_quote_from_interval_readings(api):
    # July on EX-COM-TOU: 19:00 sharp 1 × 1.20 + 14:00 peak 4 × 1.00 = 5.20
    body = {
        "period_start": "2026-07-01",
        "period_end": "2026-08-01",
        "readings": [
            {"interval_start": "2026-07-14T19:00:00+08:00", "kwh": "1"},
            {"interval_start": "2026-07-14T14:00:00+08:00", "kwh": "4"},
        ],
    }
    response = api.post("/api/v1/tariffs/EX-COM-TOU/quote", body, format="json")
    assert response.status_code == 200
    assert response.json()["total"] == "5.20"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period_end": "2026-12-01", "consumption": {"total": "1"}}, "period_start"),
        ({"period_start": "2026-11-01", "period_end": "2026-11-01", "consumption": {"total": "1"}}, "period_end"),
        ({"period_start": "2026-11-01", "period_end": "2026-12-01"}, "consumption"),
        ({"period_start": "2026-11-01", "period_end": "2026-12-01", "consumption": {"total": "abc"}}, "consumption"),
        ({"period_start": "2026-11-01", "period_end": "2026-12-01", "consumption": {"total": "-5"}}, "consumption"),
        ({"period_start": "2026-11-01", "period_end": "2026-12-01", "consumption": {"bogus": "5"}}, "consumption"),
        ({"period_start": "2026-11-01", "period_end": "2026-12-01", "consumption": {"peak": "5"}}, "consumption"),
        (
            {
                "period_start": "2026-11-01",
                "period_end": "2026-12-01",
                "consumption": {"total": "1"},
                "annual_kwh_before": "x",
            },
            "annual_kwh_before",
        ),
        ({"period_start": "not a date", "period_end": "2026-12-01", "consumption": {"total": "1"}}, "period_start"),
        (
            {"period_start": "2020-11-01", "period_end": "2020-12-01", "consumption": {"total": "1"}},
            "period_start",
        ),  # before any version
    ],
)
def test_invalid_input_is_400_naming_the_field(api, body, field):
    response = api.post("/api/v1/tariffs/ZJ-RES-FLAT/quote", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_two_part_without_capacity_names_contracted_kva(api):
    body = {
        "period_start": "2026-11-01",
        "period_end": "2026-12-01",
        "consumption": {"peak": "1"},
        "power_factor": "0.9",
    }
    response = api.post("/api/v1/tariffs/EX-IND-2P/quote", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["contracted_kva"]


def test_unknown_tariff_is_404_and_anonymous_is_refused(api):
    assert api.post("/api/v1/tariffs/NOPE/quote", {}, format="json").status_code == 404
    assert APIClient().post("/api/v1/tariffs/ZJ-RES-FLAT/quote", {}, format="json").status_code in (401, 403)


def test_tariff_list_shows_versions(api):
    data = api.get("/api/v1/tariffs").json()
    codes = [t["code"] for t in data["results"]]
    assert codes == ["EX-COM-TOU", "EX-IND-2P", "ZJ-RES-FLAT", "ZJ-RES-TOU"]
    flat = api.get("/api/v1/tariffs/ZJ-RES-FLAT").json()
    assert flat["versions"][0]["rate_total"] == "0.53800"
    assert flat["versions"][0]["tier1_max_kwh"] == "2760.00"
