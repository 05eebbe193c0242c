#!/usr/bin/env python
"""Load-test the business hall, the API and the admin with wrk against a bare Django view (issue 18).

    apt-get install wrk                       # Debian/Ubuntu; the load generator (wrk 4.x)
    .venv/bin/python bench/web.py             # c=32, 20 s per endpoint after a 3 s warm-up
    .venv/bin/python bench/web.py --duration 10 --only reference,dashboard,api-bills

Database: ``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/mp_perf_bench``; its name must
contain "bench"), cache and sessions' Redis: ``REDIS_URL`` (default ``redis://127.0.0.1:6379/11``).
The demo database is seeded once (``seed_demo --customers 10000``, ~1–2 min) with throwaway keys kept
in ``var/bench_web_keys.json`` and reused by later runs; ``--reseed`` drops and seeds it again. An
integrator user (``bench-integrator``, head-end group) and its API token are added if missing.

Then, in the same run:

1. ``collectstatic`` and gunicorn with the **production settings** (DEBUG off, cached template loaders,
   the manifest static storage) and the documented worker class and count (docker-compose: sync, 3
   workers; ``--workers``/``--worker-class`` to change), plain HTTP on 127.0.0.1 (``SECURE_SSL_REDIRECT``
   off; everything else as deployed). ``BENCH_WEB=1`` adds the reference view ``/bench/bare`` and the
   SQL-count headers (``core.web.bench``), which do not exist otherwise.
2. Logs in the demo customer (business-hall login form) and the demo staff (admin login form, then a
   one-time backup code as the second factor production asks for); the
   integrator uses its token.
3. Per endpoint: ``wrk --latency -t2 -c32`` for the warm-up then the measured run; req/s, the ratio
   to the reference's req/s, p50 and p99 latency, non-2xx answers; then 20 sequential requests that
   read ``X-Bench-SQL-Queries``/``X-Bench-SQL-Ms`` for the SQL statements and SQL time per request.

The reference (a small JSON object through the same middleware, no SQL of its own) is measured first
and, to see drift on a shared machine, again last; ratios use the first. The last line is the
smallest ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from _common import connect, cpu_model, recreate_database, throwaway_key

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mp_perf_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
KEYS_FILE = ROOT / "var" / "bench_web_keys.json"
INTEGRATOR = "bench-integrator"


@dataclass
class Endpoint:
    name: str
    path: str
    who: str  # "customer", "staff", "integrator", "anonymous"
    method: str = "GET"
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    endpoint: Endpoint
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    sql_queries: float
    sql_ms: float
    status: int


# --------------------------------------------------------------------------------------------- setup
def keys() -> dict[str, str]:
    if KEYS_FILE.exists():
        return json.loads(KEYS_FILE.read_text())
    KEYS_FILE.parent.mkdir(exist_ok=True)
    values = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": f"kbench:{throwaway_key()}",
        "FIELD_ENCRYPTION_PRIMARY_KEY_ID": "kbench",
        "BLIND_INDEX_KEY": throwaway_key(),
    }
    KEYS_FILE.write_text(json.dumps(values))
    return values


def base_env(url: str, redis_url: str) -> dict[str, str]:
    return {**os.environ, **keys(), "DATABASE_URL": url, "REDIS_URL": redis_url, "PYTHONPATH": str(ROOT)}


def seed_env(url: str) -> dict[str, str]:
    # Local settings, no Redis: the seed's Celery tasks run eagerly in-process.
    return {**base_env(url, ""), "DJANGO_SETTINGS_MODULE": "marketing_portal.settings.local", "DJANGO_DEBUG": "0"}


def production_env(url: str, redis_url: str) -> dict[str, str]:
    return {
        **base_env(url, redis_url),
        "DJANGO_SETTINGS_MODULE": "marketing_portal.settings.production",
        "BENCH_WEB": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "PAYMENT_GATEWAY": "billing.services.gateways.HostedCheckoutGateway",
        "PAYMENT_GATEWAY_SECRET": "bench-not-a-secret",
        "PAYMENT_GATEWAY_CHECKOUT_URL": "https://pay.invalid/checkout",
        "PAYMENT_GATEWAY_QUERY_URL": "https://pay.invalid/query",
        "LOG_LEVEL": "ERROR",  # django.request logs every 4xx as a warning
    }


def manage(*args: str, env: dict[str, str], capture: bool = True) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=capture, text=True
    )
    if result.returncode:
        sys.exit(f"manage.py {args[0]} failed:\n{result.stderr if capture else ''}")
    return result.stdout if capture else ""


def seeded(url: str) -> bool:
    try:
        connection = connect(url)
    except Exception:
        return False
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM security_user WHERE username = 'c_demo'")
            return cursor.fetchone()[0] == 1
    except Exception:
        return False
    finally:
        connection.close()


PREPARE = r"""
import datetime as dt, json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Max
from rest_framework.authtoken.models import Token
from billing.models import Bill, IntervalReading, Meter, Tariff
from customers.access import accounts_visible_to
from customers.models import Customer
from core.time import SHANGHAI
from customers.demo.users import DEMO_CUSTOMER_PASSWORD, DEMO_CUSTOMER_PHONE, DEMO_STAFF_PASSWORD

User = get_user_model()
user, _ = User.objects.get_or_create(username="{integrator}", defaults={{"kind": "integrator"}})
user.groups.add(Group.objects.get(name="integration_meter_head_end"))
token, _ = Token.objects.get_or_create(user=user)
customer = User.objects.get(username="c_demo")
accounts = list(accounts_visible_to(user=customer).order_by("number"))
bill = Bill.objects.filter(account__in=accounts).order_by("-period_start", "-id").first()
meter = None
for candidate in Meter.objects.filter(account__in=accounts).order_by("meter_no"):
    if IntervalReading.objects.filter(meter=candidate).exists():
        meter = candidate
        break
last = IntervalReading.objects.filter(meter=meter).aggregate(last=Max("interval_start"))["last"]
day = last.astimezone(SHANGHAI).date() - dt.timedelta(days=1)
month_start = day.replace(day=1) - dt.timedelta(days=1)
month_start = month_start.replace(day=1)
tariff = Tariff.objects.filter(category="residential", code__contains="TOU").first() or Tariff.objects.first()
phone = Customer.objects.order_by("id").values_list("phone", flat=True)[500]
print(json.dumps({{
    "token": token.key,
    "account": accounts[0].number,
    "bill": bill.id,
    "meter": meter.meter_no,
    "day": day.isoformat(),
    "month_start": month_start.isoformat(),
    "month_end": (month_start + dt.timedelta(days=32)).replace(day=1).isoformat(),
    "tariff": tariff.code,
    "phone": phone,
    "customers": Customer.objects.count(),
    "customer_login": DEMO_CUSTOMER_PHONE,
    "customer_password": DEMO_CUSTOMER_PASSWORD,
    "staff_password": DEMO_STAFF_PASSWORD,
}}))
"""


def prepare(url: str, redis_url: str) -> dict:
    out = manage("shell", "-c", PREPARE.format(integrator=INTEGRATOR), env=production_env(url, redis_url))
    return json.loads(out.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------ gunicorn
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(*, env: dict[str, str], port: int, workers: int, worker_class: str, threads: int):
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "marketing_portal.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--worker-class={worker_class}",
        f"--threads={threads}",
        "--backlog=2048",
        "--log-level=warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    for _ in range(300):
        try:
            status, _, _ = request(port, "GET", "/healthz")
            if status == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None:
            sys.exit("gunicorn exited during start-up")
        time.sleep(0.2)
    stop(process)
    sys.exit("gunicorn did not answer /healthz")


def stop(process) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


# ------------------------------------------------------------------------------------------ sessions
def request(port: int, method: str, path: str, *, body: str = "", headers: dict[str, str] | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body.encode() or None, headers={"Host": "127.0.0.1", **(headers or {})})
    response = connection.getresponse()
    data = response.read()
    result = response.status, response.getheaders(), data
    connection.close()
    return result


def cookies_of(headers) -> dict[str, str]:
    jar = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            jar[key.strip()] = val.strip()
    return jar


def submit_form(port: int, path: str, fields: dict[str, str], *, jar: dict[str, str]) -> int:
    """GET a form page, POST ``fields`` with its CSRF token as a browser would; ``jar`` (cookies) is
    updated in place. Returns the POST's status."""
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    status, headers, body = request(port, "GET", path, headers={"Cookie": cookie} if jar else None)
    jar.update(cookies_of(headers))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields})
    status, headers, _ = request(
        port,
        "POST",
        path,
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
        },
    )
    jar.update(cookies_of(headers))
    return status


def login(port: int, path: str, username: str, password: str) -> dict[str, str]:
    """The cookies of a session logged in through the site's own login form."""
    jar: dict[str, str] = {}
    status = submit_form(port, path, {"username": username, "password": password}, jar=jar)
    if status != 302 or "sessionid" not in jar:
        sys.exit(f"login of {username} at {path} failed: HTTP {status}")
    return jar


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


BENCH_BACKUP_CODE = "bench2fa1"
ISSUE_BACKUP_CODE = (
    "from django_otp.plugins.otp_static.models import StaticDevice;"
    "from security.models import User;"
    "device, _ = StaticDevice.objects.get_or_create(user=User.objects.get(username='sysadmin'), name='bench');"
    f"device.token_set.get_or_create(token='{BENCH_BACKUP_CODE}')"
)


def verify_second_factor(port: int, jar: dict[str, str], *, env: dict[str, str]) -> dict[str, str]:
    """Production asks staff for a second factor (STAFF_2FA_REQUIRED): give the bench staff member a
    one-time backup code and enter it, as a person would, so the staff pages are measured with it on."""
    manage("shell", "-c", ISSUE_BACKUP_CODE, env=env)
    path = "/staff/security/2fa/verify/?next=/admin/"
    status = submit_form(port, path, {"code": BENCH_BACKUP_CODE, "next": "/admin/"}, jar=jar)
    if status != 302:
        sys.exit(f"second factor of sysadmin failed: HTTP {status}")
    return jar


# ------------------------------------------------------------------------------------------ endpoints
def endpoints(info: dict) -> list[Endpoint]:
    meter, day = info["meter"], dt.date.fromisoformat(info["day"])
    one_day = urllib.parse.urlencode({"period_from": day.isoformat(), "period_to": (day + dt.timedelta(days=1))})
    one_month = urllib.parse.urlencode(
        {"period_from": info["month_start"], "period_to": info["month_end"], "group_by": "day"}
    )
    quote = json.dumps(
        {
            "period_start": info["month_start"],
            "period_end": info["month_end"],
            "consumption": {"peak": "180.5", "valley": "132.0"},
        }
    )
    json_post = {"Content-Type": "application/json"}
    c, s, i = "customer", "staff", "integrator"
    return [
        Endpoint("reference", "/bench/bare", c),
        # The issue's table.
        Endpoint("dashboard", "/", c),
        Endpoint("bills", "/bills/", c),
        Endpoint("bill-detail", f"/bills/{info['bill']}/", c),
        Endpoint("usage", "/usage/", c),
        Endpoint("api-accounts", "/api/v1/accounts", c),
        Endpoint("api-bills", "/api/v1/bills", c),
        Endpoint("api-readings-day", f"/api/v1/meters/{meter}/readings?{one_day}", c),
        Endpoint("api-readings-month", f"/api/v1/meters/{meter}/readings?{one_month}", c),
        Endpoint("api-quote", f"/api/v1/tariffs/{info['tariff']}/quote", i, "POST", quote, json_post),
        Endpoint("admin-customers", "/admin/customers/customer/", s),
        Endpoint("admin-customers-search", f"/admin/customers/customer/?q={info['phone']}", s),
        # Every other business-hall page.
        Endpoint("accounts", "/accounts/", c),
        Endpoint("profile", "/profile/", c),
        Endpoint("payments", "/bills/payments/", c),
        Endpoint("quote-page", "/bills/quote/", c),
        Endpoint("tariff-advice", "/tariff-advice/", c),
        Endpoint("usage-compare", "/usage/compare/", c),
        Endpoint("help", "/help/", c),
        Endpoint("inbox", "/inbox/", c),
        Endpoint("notices", "/notices/", c),
        Endpoint("service-requests", "/service-requests/", c),
        Endpoint("service-choose", "/service-requests/new/", c),
        # Every other list API the customer reaches.
        Endpoint("api-ledger", "/api/v1/ledger", c),
        Endpoint("api-payments-staff", "/api/v1/payments", s),
        Endpoint("api-tariffs", "/api/v1/tariffs", c),
        Endpoint("api-outage-notices", "/api/v1/outage-notices", c),
        Endpoint("api-notifications", "/api/v1/notifications", c),
        Endpoint("api-articles", "/api/v1/articles", c),
        Endpoint("api-service-types", "/api/v1/service-types", c),
        Endpoint("api-service-requests", "/api/v1/service-requests", c),
        # Staff list API (session of the demo staff).
        Endpoint("api-customers-staff", "/api/v1/customers", s),
        Endpoint("api-accounts-staff", "/api/v1/accounts", s),
        Endpoint("api-bills-staff", "/api/v1/bills", s),
        Endpoint("api-interactions-staff", "/api/v1/interactions", s),
        Endpoint("api-areas-staff", "/api/v1/transformer-areas", s),
        # The integrator's reads with its token.
        Endpoint("api-readings-day-token", f"/api/v1/meters/{meter}/readings?{one_day}", i),
    ]


def wrk_script(endpoint: Endpoint, auth: dict[str, str], directory: Path) -> Path:
    lines = [f"wrk.method = {json.dumps(endpoint.method)}"]
    if endpoint.body:
        lines.append(f"wrk.body = {json.dumps(endpoint.body)}")
    for name, value in {**auth, **endpoint.headers}.items():
        lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    path = directory / f"{endpoint.name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def to_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(url: str, script: Path, *, threads: int, connections: int, seconds: int) -> tuple[float, float, float, int]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    out = subprocess.run([*command, "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, p50, p99, int(bad.group(1)) if bad else 0


def sql_per_request(port: int, endpoint: Endpoint, auth: dict[str, str], samples: int = 20) -> tuple[float, float, int]:
    queries = milliseconds = 0.0
    status = 0
    for _ in range(samples):
        status, headers, _ = request(
            port, endpoint.method, endpoint.path, body=endpoint.body, headers={**auth, **endpoint.headers}
        )
        values = {name.lower(): value for name, value in headers}
        queries += int(values.get("x-bench-sql-queries", 0))
        milliseconds += float(values.get("x-bench-sql-ms", 0))
    return queries / samples, milliseconds / samples, status


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10000)
    parser.add_argument("--reseed", action="store_true", help="drop and seed the demo database again")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per endpoint")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of load before each measured run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (docker-compose: 3)")
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--worker-threads", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated endpoint names (the reference always runs)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk (Debian/Ubuntu) or build it from github.com/wg/wrk")

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS)
    if args.reseed or not seeded(url):
        if args.reseed or not KEYS_FILE.exists():
            KEYS_FILE.unlink(missing_ok=True)
        recreate_database(url)
        print(f"seeding {args.customers:,} customers into {urllib.parse.urlparse(url).path[1:]} …", flush=True)
        started = time.perf_counter()
        manage("migrate", "-v0", env=seed_env(url))
        manage("seed_demo", "--customers", str(args.customers), "--seed", "42", "--verbosity", "0", env=seed_env(url))
        print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
        import redis

        redis.Redis.from_url(redis_url).flushdb()  # no cached figure or session of an earlier seed survives
    env = production_env(url, redis_url)
    manage("collectstatic", "--noinput", "-v0", env=env)
    info = prepare(url, redis_url)

    port = free_port()
    server = start_gunicorn(
        env=env, port=port, workers=args.workers, worker_class=args.worker_class, threads=args.worker_threads
    )
    try:
        auth = {
            "customer": {
                "Cookie": cookie_header(login(port, "/login/", info["customer_login"], info["customer_password"]))
            },
            "staff": {
                "Cookie": cookie_header(
                    verify_second_factor(
                        port, login(port, "/admin/login/?next=/admin/", "sysadmin", info["staff_password"]), env=env
                    )
                )
            },
            "integrator": {"Authorization": f"Token {info['token']}"},
            "anonymous": {},
        }
        wanted = {name for name in args.only.split(",") if name}
        chosen = [e for e in endpoints(info) if e.name == "reference" or not wanted or e.name in wanted]
        print(
            f"machine: {cpu_model()}, {os.cpu_count()} CPUs, load average {load_average()}; "
            f"gunicorn {args.workers} × {args.worker_class} (threads {args.worker_threads}), production settings; "
            f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s after {args.warmup} s warm-up; "
            f"{info['customers']:,} customers",
            flush=True,
        )
        results: list[Result] = []
        with tempfile.TemporaryDirectory() as directory:
            for endpoint in [*chosen, chosen[0]]:
                script = wrk_script(endpoint, auth[endpoint.who], Path(directory))
                target = f"http://127.0.0.1:{port}{endpoint.path}"
                if args.warmup:
                    run_wrk(target, script, threads=args.threads, connections=args.connections, seconds=args.warmup)
                rps, p50, p99, bad = run_wrk(
                    target, script, threads=args.threads, connections=args.connections, seconds=args.duration
                )
                queries, sql_ms, status = sql_per_request(port, endpoint, auth[endpoint.who])
                results.append(Result(endpoint, rps, p50, p99, bad, queries, sql_ms, status))
                reference = results[0].rps
                print(
                    f"{endpoint.name:24} {rps:9.1f} req/s  ×{rps / reference:6.3f}  p50 {p50:7.1f} ms  "
                    f"p99 {p99:7.1f} ms  SQL {queries:5.1f} q {sql_ms:6.2f} ms  HTTP {status}"
                    + (f"  non-2xx {bad}" if bad else "")
                    + f"  load {load_average()}",
                    flush=True,
                )
    finally:
        stop(server)
    print()
    print("| endpoint | req/s | ÷ reference | p50 ms | p99 ms | SQL queries/request | SQL ms/request |")
    print("|---|---|---|---|---|---|---|")
    reference = results[0].rps
    for result in results:
        print(
            f"| {result.endpoint.name} | {result.rps:,.1f} | {result.rps / reference:.3f} | {result.p50_ms:.1f} "
            f"| {result.p99_ms:.1f} | {result.sql_queries:.1f} | {result.sql_ms:.2f} |"
        )
    measured = results[1:-1]
    if measured:
        worst = min(measured, key=lambda r: r.rps)
        print(f"smallest ratio to the reference: {worst.rps / reference:.3f} ({worst.endpoint.name})")


if __name__ == "__main__":
    main()
