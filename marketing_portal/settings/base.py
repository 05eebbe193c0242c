"""Settings shared by every environment; all configuration comes from environment variables.

The variables are documented in README.md ("Configuration reference"). ``local``, ``test`` and
``production`` import this module and override only what differs.
"""

from pathlib import Path
from urllib.parse import urlsplit

import django_stubs_ext
import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

# Generic admin, form and queryset classes (ModelAdmin[Bill]) subscriptable at run time, as mypy sees them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A developer's .env (written by `python3 dev.py run` with fresh random keys) is read if present;
# real deployments pass variables through the process environment instead.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "oauth2_provider",  # OpenADR 3 VTN: OAuth 2 client credentials (services/api/openadr/)
    "csp",
    # Staff two-factor authentication (security.services.two_factor): TOTP apps and one-time backup codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Our apps, in dependency order: core ← security ← customers ← billing ← analytics ← services.
    "core",
    "security",
    "customers",
    "billing",
    "analytics",
    "services",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise (static files stay cacheable): everything a signed-in user gets is private, no-store.
    "core.web.middleware.PrivateNoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): a second factor this session
    "security.middleware.AuditActorMiddleware",
    "security.middleware.SessionLifetimeMiddleware",
    "security.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A NUL in the path (404) or a query parameter (400) is answered before any view sends it to PostgreSQL.
    "core.web.middleware.RejectNulCharactersMiddleware",
    # The admin's change-list lookups reach the ORM unchecked: impossible dates are a 400 page first.
    "core.web.middleware.RejectUnusableAdminDatesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy (django-csp) and Permissions-Policy on every response.
    "csp.middleware.CSPMiddleware",
    "core.web.middleware.PermissionsPolicyMiddleware",
    # django-axes must be last: it turns locked-out logins into a lockout response.
    "axes.middleware.AxesMiddleware",
]

# bench/web.py only (docs/benchmarks.md): the bare reference view at /bench/bare and per-request SQL
# count/time headers (core.web.bench). Off by default: neither exists in a normal deployment.
BENCH_WEB = env.bool("BENCH_WEB", default=False)
if BENCH_WEB:
    MIDDLEWARE = ["core.web.bench.SqlTimingMiddleware", *MIDDLEWARE]

ROOT_URLCONF = "marketing_portal.urls"
WSGI_APPLICATION = "marketing_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "customers.context_processors.current_account",
                "services.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A PostgreSQL streaming replica for the staff analytics reads (core.db.replica_reads, docs/scaling.md).
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {**env.db("DATABASE_REPLICA_URL"), "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"]}
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["core.db.ReplicaRouter"]

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # Sessions read from Redis (one round trip, no SQL per request) and written through to the
    # database, so a Redis restart signs nobody out (docs/benchmarks.md, "Web").
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "security.User"
AUTHENTICATION_BACKENDS = [
    # axes first so a locked-out user/IP is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "security.backends.PhoneOrUsernameBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions (security.services.sessions): staff idle 30 min and at most 12 h; customers idle 2 h.
STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_SECONDS", default=30 * 60)
STAFF_SESSION_ABSOLUTE_SECONDS = env.int("STAFF_SESSION_ABSOLUTE_SECONDS", default=12 * 3600)
CUSTOMER_SESSION_IDLE_SECONDS = env.int("CUSTOMER_SESSION_IDLE_SECONDS", default=2 * 3600)
# Staff two-factor authentication (security.services.two_factor): the admin console and staff pages ask
# for a TOTP code (or a backup code) once per session; first sign-in enrols. On in production (a deploy
# check refuses it off there); off in the embedded demo so its staff accounts open straight away.
STAFF_2FA_REQUIRED = env.bool("STAFF_2FA_REQUIRED", default=False)
OTP_TOTP_ISSUER = "营销服务平台 Marketing Portal"
STAFF_2FA_BACKUP_CODES = 10
LOGIN_URL = "hall:login"
LOGIN_REDIRECT_URL = "hall:dashboard"
LOGOUT_REDIRECT_URL = "hall:login"

# Login lockout (django-axes): per user *and* IP, so one attacker cannot lock everyone out.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Axes stores the attempted username; we store its blind index so no phone number lands in its table.
AXES_USERNAME_CALLABLE = "security.backends.axes_username"
AXES_LOCKOUT_TEMPLATE = "security/locked_out.html"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Private uploads (attachments, model artefacts) live outside any web-served directory.
PRIVATE_STORAGE_ROOT = env.path("PRIVATE_STORAGE_ROOT", default=BASE_DIR / "var" / "private")
# Largest service-request attachment accepted (a phone photo or a scanned PDF fits easily).
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="core.mail.MaskedConsoleEmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="营业厅 <noreply@portal.example>")
SMS_BACKEND = env.str("SMS_BACKEND", default="customers.sms.ConsoleSmsBackend")

# Field-level encryption (see security/crypto.py). Format: "kid:base64key[,kid:base64key…]".
FIELD_ENCRYPTION_KEYS = env.str("FIELD_ENCRYPTION_KEYS", default="")
FIELD_ENCRYPTION_PRIMARY_KEY_ID = env.str("FIELD_ENCRYPTION_PRIMARY_KEY_ID", default="")
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", default="")
# The audit log's hash chain (security.chain): 32 random bytes, base64, its own key (required in production).
AUDIT_CHAIN_KEY = env.str("AUDIT_CHAIN_KEY", default="")
# Audit events are kept at least this long (等保 2.0: ≥ 6 months; below 183 days is refused, and the
# database refuses to delete younger rows), then exported to AUDIT_ARCHIVE_DIR and pruned (beat, daily).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=200)
AUDIT_ARCHIVE_DIR = env.path("AUDIT_ARCHIVE_DIR", default=str(Path(PRIVATE_STORAGE_ROOT) / "audit-archive"))
# The non-superuser role the application connects as (docker-compose: deploy/postgres/init-app-role.sh);
# security 0004 revokes UPDATE and TRUNCATE on the audit table from it when it exists.
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="portal_app")
# Tables the application role maintains itself (it creates and attaches their monthly partitions).
DATABASE_APP_ROLE_OWNED_PREFIXES = ["billing_intervalreading"]

# Ownership proofs when binding an account (户号) to a portal user.
BINDING_MAX_ATTEMPTS = env.int("BINDING_MAX_ATTEMPTS", default=5)
BINDING_ATTEMPT_WINDOW_SECONDS = env.int("BINDING_ATTEMPT_WINDOW_SECONDS", default=3600)
# SMS codes that prove a caller holds a mobile number, for registration and password reset
# (customers.services.phone_codes): valid this long, void after this many wrong entries, and per window
# at most PHONE_CODE_SENDS_PER_CLIENT texts (codes or notices, every flow together) to one number asked
# for from one client address, and PHONE_CODE_SENDS_PER_PHONE to it from everywhere.
PHONE_CODE_TTL_SECONDS = env.int("PHONE_CODE_TTL_SECONDS", default=300)
PHONE_CODE_MAX_ATTEMPTS = env.int("PHONE_CODE_MAX_ATTEMPTS", default=5)
PHONE_CODE_SENDS_PER_CLIENT = env.int("PHONE_CODE_SENDS_PER_CLIENT", default=5)
PHONE_CODE_SENDS_PER_PHONE = env.int("PHONE_CODE_SENDS_PER_PHONE", default=20)
PHONE_CODE_WINDOW_SECONDS = env.int("PHONE_CODE_WINDOW_SECONDS", default=3600)
# The privacy notice (个人信息保护政策) in force: customers.templates.customers.privacy.html. Raise the
# version whenever its text changes; each registration records the version it was consented to.
PRIVACY_NOTICE_VERSION = "2026-12-01"
RATELIMIT_USE_CACHE = "default"
# How many reverse proxies stand in front of the app, each appending to X-Forwarded-For (0: none, the
# header is ignored). Rate limits, django-axes lockouts, DRF throttles and the audit log all read the
# client address through core.web.client.client_ip, which trusts exactly this many hops.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
RATELIMIT_IP_META_KEY = "core.web.client.ratelimit_ip"
AXES_CLIENT_IP_CALLABLE = "core.web.client.client_ip"

# Meter-data validation (billing.services.ingest): see docs/metering.md.
METER_SPIKE_FACTOR = env.float("METER_SPIKE_FACTOR", default=1.5)
# Billing (billing.services.billing_run): hold thresholds and the due date.
BILL_HOLD_ESTIMATED_SHARE = env.float("BILL_HOLD_ESTIMATED_SHARE", default=0.2)
BILL_HOLD_USAGE_FACTOR = env.float("BILL_HOLD_USAGE_FACTOR", default=3.0)
# Line loss (analytics): an area-period is flagged above this loss rate, or when its rate moves from the
# median of its recent complete periods by more than LINE_LOSS_JUMP (absolute, 0.01 = 1 percentage
# point) and more than 4 robust standard deviations (MAD) of them; below LINE_LOSS_MIN_COMPLETENESS
# of expected intervals (summary or customer meters) it is incomplete and never flagged.
LINE_LOSS_MAX_RATE = env.float("LINE_LOSS_MAX_RATE", default=0.10)
LINE_LOSS_JUMP = env.float("LINE_LOSS_JUMP", default=0.01)
LINE_LOSS_MIN_COMPLETENESS = env.float("LINE_LOSS_MIN_COMPLETENESS", default=0.99)
# Suspects: an account whose consumption (relative to its area's supply) fell by at least this share.
LINE_LOSS_SUSPECT_DROP = env.float("LINE_LOSS_SUSPECT_DROP", default=0.4)
BILL_DUE_DAYS = env.int("BILL_DUE_DAYS", default=15)
# Payments: the gateway behind the business hall's "pay now" (the sandbox behaves like a real one:
# signed asynchronous notifications, repeated, before or after the customer returns). The sandbox is
# the embedded default only: production settings refuse every test gateway (billing.E001).
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="billing.services.gateways.SandboxGateway")
PAYMENT_REFUSE_TEST_GATEWAY = False
PAYMENT_MERCHANT_ID = env.str("PAYMENT_MERCHANT_ID", default="MP-SANDBOX-0001")
PAYMENT_GATEWAY_SECRET = env.str("PAYMENT_GATEWAY_SECRET", default="")
PAYMENT_GATEWAY_CHECKOUT_URL = env.str("PAYMENT_GATEWAY_CHECKOUT_URL", default="")
PAYMENT_GATEWAY_QUERY_URL = env.str("PAYMENT_GATEWAY_QUERY_URL", default="")
PAYMENT_SANDBOX_NOTIFY_TIMES = env.int("PAYMENT_SANDBOX_NOTIFY_TIMES", default=3)
# 100,000: measured fastest and lowest-memory on 2 cores (docs/benchmarks.md).
INGEST_CHUNK_ROWS = env.int("INGEST_CHUNK_ROWS", default=100_000)
INGEST_STALE_MINUTES = env.int("INGEST_STALE_MINUTES", default=30)
# A billing run with no worker on any chunk and no progress for this long is handed to the workers
# again by the beat janitor (every minute): a lost worker or lost messages cost ≤ 3 minutes.
BILLING_RUN_STALL_SECONDS = env.int("BILLING_RUN_STALL_SECONDS", default=120)
# A batch whose processing was started this many times without finishing fails with its last error
# (a poison file that kills its worker would otherwise be redelivered for ever).
INGEST_MAX_ATTEMPTS = env.int("INGEST_MAX_ATTEMPTS", default=3)
# .xlsx uploads (billing.services.ingest.spreadsheets): the zip's declared sizes are checked in the
# request, the workbook is read on the ingest queue within these bounds.
INGEST_XLSX_MAX_UNCOMPRESSED_BYTES = env.int("INGEST_XLSX_MAX_UNCOMPRESSED_BYTES", default=256 * 1024 * 1024)
INGEST_XLSX_MAX_RATIO = env.float("INGEST_XLSX_MAX_RATIO", default=100.0)
INGEST_XLSX_MAX_PARTS = env.int("INGEST_XLSX_MAX_PARTS", default=1000)
INGEST_XLSX_MAX_ROWS = env.int("INGEST_XLSX_MAX_ROWS", default=1_048_576)  # Excel's own sheet limit
INGEST_XLSX_MAX_COLUMNS = env.int("INGEST_XLSX_MAX_COLUMNS", default=128)  # the widest layout has 98
INGEST_XLSX_MAX_SECONDS = env.float("INGEST_XLSX_MAX_SECONDS", default=600.0)
REGISTER_TOU_TOLERANCE_KWH = env.float("REGISTER_TOU_TOLERANCE_KWH", default=0.1)

# Load forecasting (analytics.services.forecasting): see docs/analytics.md "## Forecasting".
FORECAST_ISSUE_TIME = env.str("FORECAST_ISSUE_TIME", default="10:30")  # local time the day-ahead forecasts go out
FORECAST_RETRAIN_TIME = env.str("FORECAST_RETRAIN_TIME", default="01:30")  # local time of the nightly retrain
FORECAST_HISTORY_DAYS = env.int("FORECAST_HISTORY_DAYS", default=365)
FORECAST_BACKTEST_DAYS = env.int("FORECAST_BACKTEST_DAYS", default=14)
FORECAST_RESOLUTION_MINUTES = env.int("FORECAST_RESOLUTION_MINUTES", default=15)
FORECAST_ACCOUNT_MIN_KVA = env.float("FORECAST_ACCOUNT_MIN_KVA", default=315.0)
FORECAST_MODEL_PARAMS: dict = {}  # engine hyper-parameters; empty = the engine's defaults

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    # JSON that PostgreSQL cannot store (NUL, lone surrogates) is a field error at parse time.
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ErrorDocumentingAutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.json_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min"},
    # DRF's throttles read X-Forwarded-For through the same number of trusted hops (None would trust it all).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Marketing Portal API",
    "DESCRIPTION": "Customers, accounts, grid topology and CRM for integrators of the power-supply business hall.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page's JavaScript and CSS from drf-spectacular-sidecar's static files: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # /api/schema/ and /api/docs/: staff and integrators only unless API_SCHEMA_PUBLIC (production: off).
    "SERVE_PERMISSIONS": ["core.api.permissions.SchemaReader"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Accounts and knowledge articles both have a "category" choice field: the account's keeps the
    # name it always had, the article's is named after its model.
    "ENUM_NAME_OVERRIDES": {
        "CategoryEnum": "customers.models.Account.Category",
        "ArticleCategoryEnum": "services.models.knowledge.Article.Category",
    },
}

# Idempotency-Key records (core.idempotency) are deleted this long after their first use.
IDEMPOTENCY_TTL_HOURS = env.int("IDEMPOTENCY_TTL_HOURS", default=24)

# Content-Security-Policy: scripts only from our own static files (no inline script anywhere; a
# template that truly needs one uses {{ request.csp_nonce }}); inline style *attributes* are still
# used by templates, so styles keep 'unsafe-inline' (no script can run from them). Forms may post
# only to us and to the payment gateway's hosted checkout.
_checkout_origin = (
    "{0.scheme}://{0.netloc}".format(urlsplit(PAYMENT_GATEWAY_CHECKOUT_URL)) if PAYMENT_GATEWAY_CHECKOUT_URL else None
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF, *([_checkout_origin] if _checkout_origin else [])],
    },
}
SECURE_REFERRER_POLICY = "same-origin"
# Browser features the portal never uses are switched off for it and anything it might embed.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=()"

# Paths whose errors are RFC 7807 problem objects, also when Django answers them itself (no route, a NUL
# in a query parameter, an unexpected 500): the OpenADR VTN's spec says so (core.api.errors).
PROBLEM_DETAILS_PATH_PREFIXES = ["/openadr3/"]

# The OpenAPI schema and docs are open to anyone only in development; production sets this False.
API_SCHEMA_PUBLIC = env.bool("API_SCHEMA_PUBLIC", default=True)
# OpenADR 3.1.0 VTN (services/api/openadr/, docs/openadr.md): OAuth 2 client credentials through
# django-oauth-toolkit; clients are created by staff in the admin console, secrets are stored hashed,
# tokens are short-lived, and the scopes are exactly the spec's.
OPENADR_SCOPES = {
    "read_all": "BL can read all resources",
    "read_targets": "VENs may only read objects with targets by providing matching targets",
    "read_ven_objects": "VENs may only read objects whose clientID matches their own",
    "write_programs": "Only BL can write to programs",
    "write_events": "Only BL can write to events",
    "write_reports": "only VENs can write to reports",
    "write_subscriptions": "VENs and BL can write to subscriptions",
    "write_vens": "VENS and BL can write to vens and resources",
}
OAUTH2_PROVIDER = {
    "SCOPES": OPENADR_SCOPES,
    "SCOPES_BACKEND_CLASS": "services.api.openadr.auth.OpenADRScopes",
    "OAUTH2_VALIDATOR_CLASS": "services.api.openadr.auth.OpenADRValidator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OPENADR_TOKEN_SECONDS", default=900),
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "PKCE_REQUIRED": True,
    # RFC 9700 (OAuth 2.0 Security BCP) everywhere: no implicit or password grant, no "plain" PKCE, no
    # tokens in query strings, `iss` in responses, tokens stored hashed, refresh-token replay revokes.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"  # named: services' migrations point at it
# Requests per minute per OAuth client (token requests per client id, API calls per token's client).
OPENADR_THROTTLE_PER_MINUTE = env.int("OPENADR_THROTTLE_PER_MINUTE", default=300)
OPENADR_TOKEN_THROTTLE_PER_MINUTE = env.int("OPENADR_TOKEN_THROTTLE_PER_MINUTE", default=30)
# Webhook notifications to subscriptions' callbackUrl: short timeouts, a size limit, bounded retries
# with exponential back-off, and never to private, loopback or link-local addresses unless allowed
# (tests and a local VEN only: OPENADR_WEBHOOK_ALLOW_PRIVATE=1).
OPENADR_WEBHOOK_TIMEOUT_SECONDS = env.float("OPENADR_WEBHOOK_TIMEOUT_SECONDS", default=5.0)
OPENADR_WEBHOOK_MAX_ATTEMPTS = env.int("OPENADR_WEBHOOK_MAX_ATTEMPTS", default=6)
OPENADR_WEBHOOK_BACKOFF_SECONDS = env.int("OPENADR_WEBHOOK_BACKOFF_SECONDS", default=30)
OPENADR_WEBHOOK_MAX_BODY_BYTES = env.int("OPENADR_WEBHOOK_MAX_BODY_BYTES", default=256 * 1024)
OPENADR_WEBHOOK_ALLOW_PRIVATE = env.bool("OPENADR_WEBHOOK_ALLOW_PRIVATE", default=False)

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
# Without a broker (embedded default) tasks run in-process so the system still works end to end.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES_NAMES = ["ingest", "billing", "analytics", "notify", "default"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TIMEZONE = TIME_ZONE
# Redis redelivers a message whose worker died without acknowledging it (acks_late) after this long;
# it must exceed the longest task, or a slow task would be handed to a second worker.
# Workers sweep for such messages every interval × throttle seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
}


def _hh_mm(name: str, value: str) -> dict:
    """crontab hour/minute of an "HH:MM" setting; a malformed value stops start-up with its name."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        hour, minute = (int(part) for part in value.split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be HH:MM (24-hour local time), not {value!r}") from None
    return {"hour": hour, "minute": minute}


CELERY_BEAT_SCHEDULE = {
    "security.archive_audit_events": {
        "task": "security.archive_audit_events",
        "schedule": crontab(hour=3, minute=40),
        "options": {"queue": "default"},
    },
    "core.expire_idempotency_records": {
        "task": "core.expire_idempotency_records",
        "schedule": 60 * 60,
        "options": {"queue": "default"},
    },
    "billing.ensure_interval_partitions": {
        "task": "billing.ensure_interval_partitions",
        "schedule": 24 * 3600,
        "options": {"queue": "ingest"},
    },
    "billing.post_late_fees": {
        "task": "billing.post_late_fees",
        "schedule": crontab(hour=0, minute=30),
        "options": {"queue": "billing"},
    },
    "services.send_billing_notices": {
        "task": "services.send_billing_notices",
        "schedule": crontab(hour=9, minute=0),
        "options": {"queue": "notify"},
    },
    "services.check_service_deadlines": {
        "task": "services.check_service_deadlines",
        "schedule": crontab(minute="*/30"),
        "options": {"queue": "default"},
    },
    # A year with no holiday schedule makes due dates wrong: its keepers hear of it weekly from 1 November.
    "services.warn_missing_calendar": {
        "task": "services.warn_missing_calendar",
        "schedule": crontab(hour=8, minute=30),
        "options": {"queue": "notify"},
    },
    "services.apply_scheduled_account_changes": {
        "task": "services.apply_scheduled_account_changes",
        "schedule": crontab(hour=0, minute=10),
        "options": {"queue": "default"},
    },
    # Demand response: events start and end on the minute, settle once meter data is in, standby pays monthly.
    "services.advance_dr_events": {
        "task": "services.advance_dr_events",
        "schedule": 60,
        "options": {"queue": "default"},
    },
    # Every 5 minutes: a settlement lost with its worker is simply done again on the next beat (≤ 5 min;
    # settling is idempotent and the event row lock makes two settlements of one event take turns).
    "services.settle_dr_events": {
        "task": "services.settle_dr_events",
        "schedule": crontab(minute="*/5"),
        "options": {"queue": "billing"},
    },
    "services.post_dr_availability": {
        "task": "services.post_dr_availability",
        "schedule": crontab(day_of_month=1, hour=3, minute=0),
        "options": {"queue": "billing"},
    },
    "services.openadr_retry_webhooks": {
        "task": "services.openadr_retry_webhooks",
        "schedule": 30,
        "options": {"queue": "notify"},
    },
    "billing.reconcile_payments": {
        "task": "billing.reconcile_payments",
        "schedule": 5 * 60,
        "options": {"queue": "billing"},
    },
    "analytics.compute_line_loss": {
        "task": "analytics.compute_line_loss",
        "schedule": crontab(hour=2, minute=15),  # after the night's meter data; re-runs the last days too
        "options": {"queue": "analytics"},
    },
    "billing.redrive_stalled_runs": {
        "task": "billing.redrive_stalled_runs",
        "schedule": 60,
        "options": {"queue": "default"},  # not behind the billing queue's own long tasks
    },
    "billing.requeue_stale_batches": {
        "task": "billing.requeue_stale_batches",
        "schedule": 10 * 60,
        "options": {"queue": "ingest"},
    },
    # Customer segmentation: on the 2nd of each month, the three whole months before (analytics.tasks.segments).
    "analytics.run_segmentation.weekday": {
        "task": "analytics.run_segmentation",
        "schedule": crontab(day_of_month=2, hour=3, minute=0),
        "kwargs": {"day_type": "weekday"},
        "options": {"queue": "analytics"},
    },
    "analytics.run_segmentation.weekend": {
        "task": "analytics.run_segmentation",
        "schedule": crontab(day_of_month=2, hour=3, minute=20),
        "kwargs": {"day_type": "weekend"},
        "options": {"queue": "analytics"},
    },
    "analytics.forecast_retrain_all": {
        "task": "analytics.forecast_retrain_all",
        "schedule": crontab(**_hh_mm("FORECAST_RETRAIN_TIME", FORECAST_RETRAIN_TIME)),
        "options": {"queue": "analytics"},
    },
    "analytics.forecast_issue_all": {
        "task": "analytics.forecast_issue_all",
        "schedule": crontab(**_hh_mm("FORECAST_ISSUE_TIME", FORECAST_ISSUE_TIME)),
        "options": {"queue": "analytics"},
    },
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

# Every handler carries core.logs.PersonalDataFilter (phones, ID numbers, e-mail addresses, codes masked;
# search parameters in logged URLs hashed); core.apps also masks every record at creation.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "personal_data": {"()": "core.logs.PersonalDataFilter"},
        "require_debug_true": {"()": "django.utils.log.RequireDebugTrue"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["personal_data"]},
        # Django's own defaults (runserver's access log, mail to admins), redefined with the filter.
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["personal_data"],
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
