"""Issue 13, finding 9: input PostgreSQL or Python's calendar cannot hold is a 400 naming the field
(or, on a business-hall page, the default period with a message), never a 500; and every API error,
Django's own included, comes in the one JSON error shape.

Each case here was a 500 before: NUL and lone surrogates anywhere in JSON and in the Idempotency-Key,
NUL in query parameters, a UTC offset like -19:32 (PostgreSQL: "time zone displacement out of range"),
dates in year 1 or 9999 (OverflowError in the arithmetic after them), a CSV header over the csv
module's 131,072-character field limit, and Django-level errors answered as HTML under /api/.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils import translation
from rest_framework.test import APIClient

from billing.models import IngestBatch
from billing.services.ingest import layouts
from core.api.errors import server_error_json
from security import roles
from tests.factories import SHANGHAI, bind, make_account, make_meter, make_portal_user, make_staff

pytestmark = pytest.mark.django_db

TOO_FAR_WEST = "2026-11-01T00:00:00-19:32"


# English, to compare messages with their source text (the hall's default language is zh-hans).
@pytest.fixture
def admin() -> APIClient:
    client = APIClient(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(make_staff(role=roles.SYSTEM_ADMINISTRATOR))
    return client


@pytest.fixture
def home():
    customer = make_portal_user()
    account = make_account()
    bind(user=customer, account=account)
    return customer, account, make_meter(account=account)


@pytest.fixture
def customer_api(home) -> APIClient:
    client = APIClient(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(home[0])
    return client


def post_json(client: APIClient, url: str, text: str, **headers):
    """Raw JSON text, so escapes like \\u0000 and \\ud800 reach the server as written."""
    return client.generic("POST", url, text.encode(), content_type="application/json", **headers)


def field_error(response, field: str) -> list[str]:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (400, "invalid")
    assert field in error["fields"], error["fields"]
    messages = error["fields"][field]
    assert messages and all(isinstance(m, str) and m for m in messages), messages
    return messages


# --- NUL and lone surrogates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "where"),
    [
        # service requests: dict keys and values of the free-form answers
        ('{"service_type": "consultation", "form": {"question\\u0000": "?"}}', "form", "form.question?"),
        ('{"service_type": "consultation", "form": {"question": "a\\ud800"}}', "form", "form.question"),
        ('{"service_type": "consultation\\udfff", "form": {}}', "service_type", ""),
    ],
)
def test_unstorable_characters_anywhere_in_json_are_a_field_error(customer_api, body, field, where):
    response = post_json(customer_api, "/api/v1/service-requests", body)

    (message,) = field_error(response, field)
    assert message.endswith(f"({where})") if where else "(" not in message


@pytest.mark.parametrize(
    ("override", "field"),
    [({"channel": "\u0000"}, "channel"), ({"reference": "\ud800"}, "reference"), ({"x\u0000": 1}, "x?")],
)
def test_payment_bodies_with_unstorable_characters_are_a_field_error(admin, home, override, field):
    body = {"account_number": home[1].number, "amount": "1.00", "channel": "counter", **override}

    response = post_json(admin, "/api/v1/payments", json.dumps(body), HTTP_IDEMPOTENCY_KEY="pay-1")

    field_error(response, field)


@pytest.mark.parametrize("url", ["/api/v1/payments", "/api/v1/service-requests"])
@pytest.mark.parametrize("key", ["a\x00b", "tab\there", "\x7f"])
def test_idempotency_keys_with_control_characters_are_a_field_error(admin, customer_api, url, key):
    client = admin if url.endswith("payments") else customer_api

    response = post_json(client, url, '{"service_type": "consultation"}', HTTP_IDEMPOTENCY_KEY=key)

    assert field_error(response, "Idempotency-Key") == ["Only printable ASCII characters (e.g. a UUID)."]


def test_json_meter_data_with_a_nul_is_refused_before_a_batch_exists(admin, home):
    readings = [{"meter_no": home[2].meter_no + "\x00", "timestamp": "2026-11-01T00:00:00+08:00", "kwh": "1"}]

    response = post_json(admin, "/api/v1/meter-data/batches", json.dumps({"readings": readings}))

    assert field_error(response, "readings")[0].endswith("(readings.0.meter_no)")
    assert not IngestBatch.objects.exists()


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/payments", {"channel": "\x00"}, "channel"),
        ("/api/v1/articles", {"q": "a\x00"}, "q"),  # read by the view itself, not a filter
        ("/api/v1/segments", {"day_type": "\x00"}, "day_type"),
        ("/api/v1/dr-settlements", {"event\x00": "1"}, "event?"),
    ],
)
def test_nul_in_a_query_parameter_is_a_field_error(admin, url, params, field):
    field_error(admin.get(url, params), field)


def test_nul_in_a_path_is_a_json_404_under_the_api(admin):
    response = admin.get("/api/v1/customers/%00/reveal")

    assert response.status_code == 404
    assert response.json() == {"error": {"status": 404, "code": "not_found", "message": "Not found."}}


def test_nul_in_a_hall_query_is_a_readable_400_page(client):
    response = client.get("/help/", {"q": "\x00"})

    assert response.status_code == 400
    assert "我们无法读取这个请求" in response.content.decode()


# --- dates and times -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/interactions", {"occurred_at_after": TOO_FAR_WEST}, "occurred_at"),
        ("/api/v1/weather", {"at_from": TOO_FAR_WEST}, "at_from"),
        ("/api/v1/weather", {"at_to": "2026-11-01T00:00:00+15:00"}, "at_to"),
    ],
)
def test_utc_offsets_no_zone_has_are_a_field_error_in_filters(admin, url, params, field):
    assert field_error(admin.get(url, params), field) == ["The UTC offset must be between -12:00 and +14:00."]


def test_utc_offsets_no_zone_has_are_a_row_error_in_posted_weather(admin, home):
    observation = {"area": home[1].area.code, "at": TOO_FAR_WEST, "temperature_c": "1.0", "kind": "observed"}

    response = post_json(admin, "/api/v1/weather", json.dumps({"observations": [observation]}))

    errors = field_error(response, "observations")
    assert "The UTC offset must be between -12:00 and +14:00." in json.dumps(errors, ensure_ascii=False)


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/bills", {"period_start__gte": "0001-01-01"}, "period_start__gte"),
        ("/api/v1/ledger", {"occurred_on__lte": "9999-12-31"}, "occurred_on__lte"),
        ("/api/v1/accounts", {"opened_on_after": "9999-12-31"}, "opened_on"),
        ("/api/v1/forecasts", {"day": "9999-12-31"}, "day"),
        ("/api/v1/interactions", {"occurred_at_before": "0001-01-01T00:00:00+08:00"}, "occurred_at"),
        ("/api/v1/line-loss/suspects", {"as_of": "0001-01-01"}, "as_of"),
        ("/api/v1/line-loss/areas", {"month": "0001-01"}, "month"),
    ],
)
def test_dates_outside_the_input_years_are_a_field_error(admin, url, params, field):
    field_error(admin.get(url, params), field)


@pytest.mark.parametrize("bound", ["0001-01-01", "9999-12-31", "9999-12-31T23:59:59+08:00"])
def test_reading_periods_outside_the_input_years_are_a_field_error(admin, home, bound):
    response = admin.get(f"/api/v1/meters/{home[2].meter_no}/readings", {"period_from": bound})

    assert field_error(response, "period_from") == ["The year must be between 1900 and 9998."]


def test_quote_periods_outside_the_input_years_are_a_field_error(admin):
    body = {"period_start": "9999-12-01", "period_end": "9999-12-31", "consumption": {"total": "1"}}

    response = post_json(admin, "/api/v1/tariffs/EX-COM-TOU/quote", json.dumps(body))  # a seeded tariff

    assert field_error(response, "period_start") == ["The year must be between 1900 and 9998."]
    assert field_error(response, "period_end") == ["The year must be between 1900 and 9998."]


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-11-01T00:00:00+08:00", "2026-10-31 16:00"),
        ("2026-11-01T00:00:00+14:00", "2026-10-31 10:00"),
        ("2026-11-01T00:00:00-12:00", "2026-11-01 12:00"),
        ("2026-11-01T00:00:00-19:32", None),
        ("2026-11-01T00:00:00+15:00", None),
        ("2026-11-01T00:00:00.5+23:59", None),  # fractional seconds: the pandas path, not the fast one
    ],
)
def test_ingest_timestamps_with_offsets_no_zone_has_are_malformed(text, utc):
    parsed = layouts.parse_timestamps(pd.Series([text]))[0]

    assert (None if pd.isna(parsed) else f"{parsed:%Y-%m-%d %H:%M}") == utc


# --- CSV field size --------------------------------------------------------------------------------------


def test_csv_header_longer_than_the_csv_field_limit_is_a_400_naming_the_file(admin):
    header = "a" * 140_000 + ",timestamp,kwh\n"
    upload = SimpleUploadedFile("huge-header.csv", header.encode(), content_type="text/csv")

    response = admin.post("/api/v1/meter-data/batches", {"file": upload}, format="multipart")

    (message,) = field_error(response, "file")
    assert "longer than 16,384 bytes, so it is no header" in message  # the ingest reader's limit
    assert not IngestBatch.objects.exists()


# --- one error shape -------------------------------------------------------------------------------------


def test_django_level_400_under_the_api_is_json(admin, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = admin.get("/api/v1/articles?" + "&".join(f"f{i}=1" for i in range(20)))

    assert response.status_code == 400
    assert response.json() == {"error": {"status": 400, "code": "bad_request", "message": "Bad request."}}


@pytest.mark.parametrize(("path", "json_body"), [("/api/v1/customers", True), ("/usage/", False), ("/apiary/", False)])
def test_server_errors_are_json_under_the_api_and_pages_elsewhere(path, json_body):
    with translation.override("zh-hans"):
        response = server_error_json(RequestFactory().get(path))

    assert response.status_code == 500
    if json_body:
        assert json.loads(response.content) == {
            "error": {"status": 500, "code": "server_error", "message": "服务器内部错误。"}
        }
    else:
        assert response["Content-Type"].startswith("text/html")


def test_an_unexpected_exception_in_an_api_view_is_a_json_500(admin, monkeypatch):
    from customers.api import views

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.CustomerViewSet, "list", boom)

    response = admin.get("/api/v1/customers")

    assert response.status_code == 500
    assert response.json()["error"] == {"status": 500, "code": "server_error", "message": "Internal server error."}
    assert "boom" not in response.content.decode()


@pytest.mark.parametrize(
    ("method", "kwargs", "status", "code"),
    [
        ("post", {"data": "x", "content_type": "text/plain"}, 415, "unsupported_media_type"),
        ("get", {"HTTP_ACCEPT": "application/xml"}, 406, "not_acceptable"),
        ("delete", {}, 405, "method_not_allowed"),
        ("get", {"path": "/api/v1/no-such-thing"}, 404, "not_found"),
    ],
)
def test_drf_and_routing_errors_share_the_shape(admin, method, kwargs, status, code):
    path = kwargs.pop("path", "/api/v1/customers")

    response = getattr(admin, method)(path, **kwargs)

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"error"} and (body["error"]["status"], body["error"]["code"]) == (status, code)


def test_throttled_answers_share_the_shape_and_say_when(client, settings):
    from rest_framework.throttling import AnonRateThrottle

    AnonRateThrottle.THROTTLE_RATES = {**AnonRateThrottle.THROTTLE_RATES, "anon": "1/min"}
    try:
        APIClient().get("/api/v1/articles")
        response = APIClient().get("/api/v1/articles")
    finally:
        AnonRateThrottle.THROTTLE_RATES = {**AnonRateThrottle.THROTTLE_RATES, "anon": "60/min"}

    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert (response.json()["error"]["status"], response.json()["error"]["code"]) == (429, "throttled")


# --- the kernel helper ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01T08:00:00", dt.datetime(2026, 11, 1, 8, tzinfo=SHANGHAI)),
        ("2026-11-01T00:00:00Z", dt.datetime(2026, 11, 1, 8, tzinfo=SHANGHAI)),
        ("9998-12-31T23:59:59+14:00", dt.datetime(9998, 12, 31, 9, 59, 59, tzinfo=dt.UTC)),
        ("1900-01-01T00:00:00-12:00", dt.datetime(1900, 1, 1, 12, tzinfo=dt.UTC)),
    ],
)
def test_parse_input_datetime_accepts_the_range(text, expected):
    from core.time import parse_input_datetime

    assert parse_input_datetime(text) == expected


@pytest.mark.parametrize(
    "text", ["2026-11-01T00:00:00-12:01", "2026-11-01T00:00:00+14:01", "9999-01-01T00:00:00", "1899-12-31T23:59", "x"]
)
def test_parse_input_datetime_refuses_outside_it(text):
    from core.time import InputDateError, parse_input_datetime

    with pytest.raises(InputDateError):
        parse_input_datetime(text)


def test_money_and_dates_in_the_same_request_still_work(admin, home):
    """The guard adds no false refusals: a normal payment with ordinary text and Chinese goes through."""
    body = {"account_number": home[1].number, "amount": "12.30", "channel": "counter", "reference": "柜台 № 7"}

    response = post_json(admin, "/api/v1/payments", json.dumps(body), HTTP_IDEMPOTENCY_KEY="ok-1")

    assert response.status_code == 201, response.content
    assert Decimal(response.json()["amount"]) == Decimal("12.30")


# --- the class, not the examples -------------------------------------------------------------------------


def _subclasses(cls) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_filterset_of_the_project_range_checks_its_dates():
    import django_filters
    from django.urls import get_resolver

    from core.api.filters import FilterSet

    get_resolver().url_patterns  # import every view module, and with them every FilterSet  # noqa: B018
    ours = {
        cls
        for cls in _subclasses(django_filters.FilterSet)
        if cls.__module__.split(".")[0] in {"core", "security", "customers", "billing", "analytics", "services"}
    }

    assert len(ours) >= 15
    assert not {cls.__qualname__ for cls in ours if not issubclass(cls, FilterSet)}


def test_every_json_parser_of_the_api_refuses_unstorable_text():
    from django.urls import URLPattern, URLResolver, get_resolver
    from rest_framework.parsers import JSONParser as DRFJSONParser

    from core.api.parsers import JSONParser

    def views(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "cls", None)
                if view is not None:
                    yield view

    parsers = {parser for view in views(get_resolver().url_patterns) for parser in view.parser_classes}

    assert JSONParser in parsers
    assert not {p for p in parsers if issubclass(p, DRFJSONParser) and not issubclass(p, JSONParser)}


@pytest.mark.parametrize(
    "query",
    [
        "occurred_at__gte=2026-01-01T00:00:00-19:32",  # was a DataError while the change list rendered
        "occurred_at__gte=9999-12-31T23:00:00",
        "occurred_at__lt=0001-01-01",
    ],
)
def test_admin_change_list_lookups_with_impossible_dates_are_a_400_page(client, query):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser(username="root", password="x", kind="staff"))

    response = client.get(f"/admin/customers/interaction/?{query}")

    assert response.status_code == 400
    assert "我们无法读取这个请求" in response.content.decode()


def test_admin_change_list_with_an_ordinary_date_lookup_still_works(client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser(username="root", password="x", kind="staff"))

    response = client.get("/admin/customers/interaction/?occurred_at__gte=2026-01-01T00:00:00%2B08:00")

    assert response.status_code == 200
