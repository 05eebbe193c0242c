#!/usr/bin/env python
"""Where a request's time goes: cProfile over N requests per endpoint of ``bench/web.py``, in-process.

    .venv/bin/python bench/profile_web.py [--requests 200] [--only dashboard,usage] [--top 12]

Uses the database and keys that ``bench/web.py`` seeded (run it once first), the production settings
and Django's test client (the whole middleware stack and URL resolution, no socket or gunicorn). Each
endpoint is requested a few times to warm the caches, then ``--requests`` times under cProfile. It
prints, per request, the time inside each part of the request path — cumulative times of the functions
that enter it, so they overlap (templates include what their tags query; "SQL" is every statement
wherever it runs):

    total        BaseHandler.get_response (everything Django does for the request)
    middleware   total minus the view (BaseHandler._get_response): the middleware stack itself
    session      loading the session (SessionBase._get_session)
    user         loading request.user (django.contrib.auth.get_user)
    decrypt      security.crypto.decrypt (personal fields)
    templates    django.template.base.Template.render (outermost)
    serializers  DRF's Serializer.data / ListSerializer.data (outermost)
    charts       json encoding of chart payloads (json_script / json.dumps)
    translation  gettext/ngettext/pgettext and LocaleMiddleware
    SQL          CursorWrapper._execute and _executemany (statement and network time)

and the ``--top`` functions by own time. Profiling slows Python ~1.5–2×, so absolute figures are
higher than under wrk; the shares are what to read.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
from pathlib import Path

import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENTRIES = {
    "total": [("django/core/handlers/base.py", "get_response")],
    "view": [("django/core/handlers/base.py", "_get_response")],
    "session": [("django/contrib/sessions/backends/base.py", "_get_session")],
    "user": [("django/contrib/auth/__init__.py", "get_user")],
    "decrypt": [("security/crypto.py", "decrypt")],
    "templates": [("django/template/base.py", "render")],
    "serializers": [("rest_framework/serializers.py", "data")],
    "charts": [("django/utils/html.py", "json_script"), ("json/__init__.py", "dumps")],
    "translation": [
        ("django/utils/translation/trans_real.py", "gettext"),
        ("django/utils/translation/trans_real.py", "ngettext"),
        ("django/utils/translation/trans_real.py", "pgettext"),
        ("django/middleware/locale.py", "process_request"),
        ("django/middleware/locale.py", "process_response"),
    ],
    "SQL": [("django/db/backends/utils.py", "_execute"), ("django/db/backends/utils.py", "_executemany")],
}


def breakdown(stats: pstats.Stats, requests: int) -> dict[str, float]:
    """ms per request inside each part: the largest cumulative time among functions of that name and
    file (the outermost entry; cProfile counts a recursive function's outermost call only)."""
    found: dict[str, float] = {}
    for part, entries in ENTRIES.items():
        total = 0.0
        for suffix, name in entries:
            best = 0.0
            for (filename, _line, function), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
                if function == name and filename.endswith(suffix):
                    best = max(best, ct)
            total += best
        found[part] = total * 1000 / requests
    found["middleware"] = found["total"] - found.pop("view")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only", default="")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", web.DEFAULT_URL)
    redis_url = os.environ.get("REDIS_URL", web.DEFAULT_REDIS)
    if not web.seeded(url):
        sys.exit("no demo database: run bench/web.py once first")
    web.manage("collectstatic", "--noinput", "-v0", env=web.production_env(url, redis_url))
    info = web.prepare(url, redis_url)
    os.environ.update(web.production_env(url, redis_url))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    users = get_user_model().objects
    clients = {"customer": Client(), "staff": Client(), "anonymous": Client()}
    clients["customer"].force_login(users.get(username="c_demo"))
    clients["staff"].force_login(users.get(username="sysadmin"))
    clients["integrator"] = Client(HTTP_AUTHORIZATION=f"Token {info['token']}")
    wanted = {name for name in args.only.split(",") if name}
    header = "| endpoint | total | middleware | session | user | decrypt | templates | serializers | charts | "
    rows = [header + "translation | SQL |", "|---" * 11 + "|"]
    for endpoint in web.endpoints(info):
        if wanted and endpoint.name not in wanted:
            continue
        client = clients[endpoint.who]

        def call(endpoint=endpoint, client=client):
            if endpoint.method == "POST":
                return client.post(endpoint.path, endpoint.body, content_type="application/json", HTTP_HOST="127.0.0.1")
            return client.get(endpoint.path, HTTP_HOST="127.0.0.1")

        for _ in range(5):
            status = call().status_code
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            call()
        profiler.disable()
        stats = pstats.Stats(profiler)
        parts = breakdown(stats, args.requests)
        print(f"\n== {endpoint.name} (HTTP {status}): " + ", ".join(f"{k} {v:.2f} ms" for k, v in parts.items()))
        top = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[: args.top]
        for (filename, line, function), (_cc, calls, own, cumulative, _callers) in top:
            short = "/".join(Path(filename).parts[-2:])
            print(
                f"  {own * 1000 / args.requests:7.2f} ms own  {cumulative * 1000 / args.requests:7.2f} ms cum  "
                f"{calls / args.requests:8.1f} calls  {short}:{line} {function}"
            )
        rows.append(
            f"| {endpoint.name} | "
            + " | ".join(
                f"{parts[k]:.1f}"
                for k in (
                    "total",
                    "middleware",
                    "session",
                    "user",
                    "decrypt",
                    "templates",
                    "serializers",
                    "charts",
                    "translation",
                    "SQL",
                )
            )
            + " |"
        )
    print("\nms per request (cumulative, overlapping; profiled):")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
