"""Test settings: real PostgreSQL and Redis when reachable (or named by DATABASE_URL / REDIS_URL),
otherwise SQLite and local memory. ``tests/conftest.py`` skips service-bound tests in the fallback,
or fails them when REQUIRE_SERVICES=1."""

import os
import socket
from urllib.parse import urlparse

from .base import *  # noqa: F403
from .base import BASE_DIR, env


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=0.5):
            return True
    except OSError:
        return False


DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/marketing_portal"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"

_database_url = env.str("DATABASE_URL", default="") or DEFAULT_TEST_DATABASE_URL
if _database_url.startswith("postgres") and _reachable(_database_url, 5432):
    DATABASES = {"default": env.db_url_config(_database_url)}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE_DIR / "var" / "test.sqlite3")}}
DATABASES["default"]["CONN_MAX_AGE"] = 0

REDIS_URL = env.str("REDIS_URL", default="") or DEFAULT_TEST_REDIS_URL
if not _reachable(REDIS_URL, 6379):
    REDIS_URL = ""


def _redis_url_for_this_worker(url: str, *, role: str) -> str:
    """Each pytest-xdist worker gets Redis databases of its own: one for the cache (tests FLUSHDB it
    before and after each test, which must not wipe a neighbouring worker's counters) and one for the
    Celery broker (a real worker started by one test process must not take another's tasks and run
    them against the wrong test database). Without xdist both stay on the URL's database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    parsed = urlparse(url)
    base = int(parsed.path.strip("/") or 0)
    offset = {"cache": 1, "broker": 8}[role] + int(worker[2:])
    return parsed._replace(path=f"/{(base - offset) % 16}").geturl()


if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url_for_this_worker(REDIS_URL, role="cache"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = _redis_url_for_this_worker(REDIS_URL, role="broker") if REDIS_URL else "memory://"
CELERY_RESULT_BACKEND = CELERY_BROKER_URL if REDIS_URL else "cache+memory://"
# In-process tests call tasks eagerly; the worker integration test sends through the real broker.
CELERY_TASK_ALWAYS_EAGER = True

SECRET_KEY = "test-secret-key-not-for-production-" + "x" * 32
DEBUG = False
# Fixed test keys (never used outside tests): two keys so rotation is exercised, "k1" primary.
FIELD_ENCRYPTION_KEYS = (
    "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,k0:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
)
FIELD_ENCRYPTION_PRIMARY_KEY_ID = "k1"
BLIND_INDEX_KEY = "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="
AUDIT_CHAIN_KEY = "YGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn8="
AUDIT_ARCHIVE_DIR = BASE_DIR / "var" / "test-private" / "audit-archive"
# Argon2 stays first (see base); tests only create users, so a fast hasher keeps the suite quick.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "customers.sms.LocmemSmsBackend"
PRIVATE_STORAGE_ROOT = BASE_DIR / "var" / "test-private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["*"]
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "user": "10000/min"}}  # noqa: F405
# The OpenADR interoperability test runs its VEN's webhook receiver on 127.0.0.1.
OPENADR_WEBHOOK_ALLOW_PRIVATE = True
OPENADR_THROTTLE_PER_MINUTE = 10000
OPENADR_TOKEN_THROTTLE_PER_MINUTE = 10000
