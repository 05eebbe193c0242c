"""The web benchmark's hooks (core.web.bench) exist only when bench/web.py turns them on."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory

from core.web.bench import SqlTimingMiddleware, bare_view


@pytest.mark.django_db
def test_the_reference_view_is_not_routed_in_a_normal_deployment(client, settings):
    assert settings.BENCH_WEB is False
    assert "core.web.bench.SqlTimingMiddleware" not in settings.MIDDLEWARE
    response = client.get("/bench/bare")
    assert response.status_code == 404
    assert "X-Bench-SQL-Queries" not in response


def test_the_reference_view_answers_a_small_json_object():
    response = bare_view(RequestFactory().get("/bench/bare"))
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok", "service": "marketing-portal", "bench": True}


@pytest.mark.django_db
def test_the_sql_middleware_reports_the_statements_of_the_request():
    def view(request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.execute("SELECT 2")
        return HttpResponse("ok")

    response = SqlTimingMiddleware(view)(RequestFactory().get("/"))
    assert response["X-Bench-SQL-Queries"] == "2"
    assert float(response["X-Bench-SQL-Ms"]) >= 0
    # Outside a request nothing is counted any more.
    assert SqlTimingMiddleware(lambda request: HttpResponse())(RequestFactory().get("/"))["X-Bench-SQL-Queries"] == "0"
