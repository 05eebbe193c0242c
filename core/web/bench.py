"""What ``bench/web.py`` needs inside the served process, wired only when ``BENCH_WEB`` is on.

* ``bare_view``: the reference of the web benchmark, a small JSON object served by the same gunicorn
  through the same middleware stack (sessions, locale, CSRF, authentication, audit actor, axes…) but
  with no database work of its own. ``marketing_portal.urls`` routes ``/bench/bare`` to it only when
  ``settings.BENCH_WEB`` is true, so it does not exist in a normal deployment.
* ``SqlTimingMiddleware``: counts the SQL statements of a request and their time and reports them in
  the ``X-Bench-SQL-Queries`` and ``X-Bench-SQL-Ms`` response headers, which the benchmark samples
  after each load run. It is outermost, so the session and user loads are counted too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse


def bare_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok", "service": "marketing-portal", "bench": True})


class _Counter:
    def __init__(self) -> None:
        self.queries = 0
        self.seconds = 0.0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


class SqlTimingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        counter = _Counter()
        wrappers = [connections[alias].execute_wrapper(counter) for alias in connections]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        response["X-Bench-SQL-Queries"] = str(counter.queries)
        response["X-Bench-SQL-Ms"] = f"{counter.seconds * 1000:.2f}"
        return response
