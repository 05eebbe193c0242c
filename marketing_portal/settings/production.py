"""Production: PostgreSQL, Redis, real Celery workers. Refuses to start without its secrets."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
for _required in (
    "DATABASE_URL",
    "REDIS_URL",
    "FIELD_ENCRYPTION_KEYS",
    "BLIND_INDEX_KEY",
    "AUDIT_CHAIN_KEY",
    "PAYMENT_GATEWAY",
    "PAYMENT_GATEWAY_SECRET",
):
    if not env.str(_required, default=""):
        raise ImproperlyConfigured(f"{_required} must be set in production")
# No money may be taken for free: a sandbox/test gateway is an error here (billing.E001), and the web
# and worker processes refuse to start on it (marketing_portal.startup).
PAYMENT_REFUSE_TEST_GATEWAY = True

# Every staff sign-in to the admin console and the staff pages needs a second factor (security.E006).
STAFF_2FA_REQUIRED = env.bool("STAFF_2FA_REQUIRED", default=True)

# The API schema is a map of every endpoint: staff and signed-in integrators only (core.api.permissions).
API_SCHEMA_PUBLIC = False

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
CELERY_TASK_ALWAYS_EAGER = False
