"""Settings for Attach. Everything that differs between machines comes from the environment."""

import os
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# pytest imports settings itself; the test run must not depend on collected static files or TLS.
TESTING = "pytest" in sys.modules or "_pytest" in sys.modules

# Demo mode: `make run` on a laptop with synthetic data; relaxes MFA so demo logins work.
DEMO = env_bool("ATTACH_DEMO", False)
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "django-insecure-local-development-key-change-me")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "guardian",
    "django_celery_beat",
    "django_filters",
    "attachment",
    "registries",
    "providers",
    "patients",
    "reports",
    "care",
    "linkage",
    # FHIR R4 at /fhir/ (DRF views; rest_framework is added with the API's settings below).
    "fhir",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "attachment.core.i18n.PublicLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "attachment.core.middleware.PrivacyHeadersMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "attachment.core.middleware.ActorMiddleware",
    "attachment.core.middleware.RequireStaffMFAMiddleware",
    "attachment.core.unavailable.UnavailableMiddleware",
]

ROOT_URLCONF = "attachment.urls"
WSGI_APPLICATION = "attachment.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "attachment.core.context_processors.roles",
                "django.template.context_processors.i18n",
                "attachment.core.i18n.public_page",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/attach"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# Django's PostgreSQL backend whose health check needs no round trip while the connection
# is plainly alive (attachment/core/postgresql/base.py).
DATABASES["default"]["ENGINE"] = "attachment.core.postgresql"
# psycopg prepares only the statements asked for explicitly (attachment/core/prepared.py):
# a threshold no statement reaches. "0" turns them off, behind a pooler that cannot keep them.
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
    None if os.environ.get("DB_PREPARED_STATEMENTS", "1") == "0" else 2**31)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
_CACHE = {
    "LOCATION": REDIS_URL,
    "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "attach"),
    # Redis out of reach is known in a second, not after the kernel's connect timeout.
    "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
}
# With Redis down the default cache answers from the process's memory; the look-ups'
# rate limits use the strict one and refuse with a 503 (attachment/core/unavailable.py).
CACHES = {
    "default": {**_CACHE, "BACKEND": "attachment.core.unavailable.FallbackRedisCache"},
    "ratelimit": {**_CACHE, "BACKEND": "django.core.cache.backends.redis.RedisCache"},
}
RATELIMIT_USE_CACHE = "ratelimit"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Hashing cost is irrelevant to what the tests prove, and the suite creates many users.
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Staff accounts are made by administrators; nobody signs up for a staff account.
ACCOUNT_ADAPTER = "attachment.core.accounts.StaffOnlyAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Attach"
# Every staff role must have TOTP before it sees anything, unless demo mode turns it off.
ATTACH_REQUIRE_MFA = env_bool("ATTACH_REQUIRE_MFA", not DEMO)
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Guardian: no anonymous-user row; the public pages never need object permissions.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "en-ca"
TIME_ZONE = "America/Vancouver"
USE_I18N = True

# --- languages of the public side (README, "The public side in five languages") ---
# The public pages and every email to the public speak these; staff pages stay English
# (attachment/core/i18n.py). Each name is written in its own language, as the switch shows it.
LANGUAGES = [
    ("en-ca", "English"),
    ("fr", "Français"),
    ("pa", "ਪੰਜਾਬੀ"),
    ("zh-hant", "繁體中文"),
    ("zh-hans", "简体中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Paths whose pages are the public's, in the visitor's language ("/" is the home page alone).
ATTACH_PUBLIC_PATHS = ["/register/", "/status/", "/offer/", "/self/", "/figures/", "/i18n/"]
LANGUAGE_COOKIE_NAME = "attach_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
# --- end of languages ---
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / ".data" / "media"))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Health Connect Registry <noreply@attach.local>")

# Celery: Redis is the broker; tasks are idempotent, so acknowledge late and re-run on a crash.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_IMPORTS = ["attachment.core.reaper"]
# A message a worker took stays unacknowledged until its task ends; Redis gives it to
# another worker after the visibility timeout. It must outlast the longest job (else a
# job still running is started a second time), so it cannot also be what brings a
# killed worker's job back quickly: the heartbeats and the reaper below do that.
ATTACH_BROKER_VISIBILITY_TIMEOUT = int(os.environ.get("ATTACH_BROKER_VISIBILITY_TIMEOUT", "1800"))
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": ATTACH_BROKER_VISIBILITY_TIMEOUT}
# Running jobs beat every HEARTBEAT seconds; one silent for STALE seconds lost its worker
# and is sent again by the reaper (every 30 s, from beat), at most MAX_ATTEMPTS runs in all.
ATTACH_JOB_HEARTBEAT_SECONDS = float(os.environ.get("ATTACH_JOB_HEARTBEAT_SECONDS", "10"))
ATTACH_JOB_STALE_SECONDS = float(os.environ.get("ATTACH_JOB_STALE_SECONDS", "60"))
ATTACH_JOB_MAX_ATTEMPTS = int(os.environ.get("ATTACH_JOB_MAX_ATTEMPTS", "3"))
# A page that queues a task must learn within a few seconds that Redis is gone, not
# after Celery's defaults (about 19 s of reconnecting to the result store): it then
# marks its job failed and says so (attachment/core/unavailable.py). Workers still wait
# for the broker at startup (the setting above).
_FAIL_FAST = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = _FAIL_FAST
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": _FAIL_FAST}

# Domain settings (each overridable from the environment).
ATTACH_OFFER_EXPIRY_DAYS = int(os.environ.get("ATTACH_OFFER_EXPIRY_DAYS", "14"))
ATTACH_REMINDER_INTERVAL_DAYS = int(os.environ.get("ATTACH_REMINDER_INTERVAL_DAYS", "91"))
ATTACH_CONTACT_ATTEMPTS_BEFORE_SUSPEND = int(os.environ.get("ATTACH_CONTACT_ATTEMPTS_BEFORE_SUSPEND", "3"))
ATTACH_SMALL_CELL = 10  # aggregate counts from 1 to ATTACH_SMALL_CELL-1 are suppressed
ATTACH_LOOKUP_RATE = os.environ.get("ATTACH_LOOKUP_RATE", "5/15m")
# Public registrations sent per client address (a household registers once; a library's
# shared computer a few times a day).
ATTACH_REGISTER_RATE = os.environ.get("ATTACH_REGISTER_RATE", "20/h")
# Panel checks of PHNs (uploads and single additions) per staff user.
ATTACH_PANEL_CHECK_RATE = os.environ.get("ATTACH_PANEL_CHECK_RATE", "60/h")
# Every answer of a public look-up takes at least this long, right or wrong, so timing tells nothing.
ATTACH_LOOKUP_MIN_SECONDS = float(os.environ.get("ATTACH_LOOKUP_MIN_SECONDS", "0.25"))
# The public site's address: every link in an email or letter is absolute from it.
ATTACH_PUBLIC_URL = os.environ.get("ATTACH_PUBLIC_URL", f"http://127.0.0.1:{os.environ.get('ATTACH_PORT', '8000')}")
# Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated).
# Empty: the peer address is the client, whatever a header says.
ATTACH_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("ATTACH_TRUSTED_PROXIES", "").split(",") if p.strip()]

# Care coordination: hospital transitions and pre-visit planning (care/generator.py).
# In hospital, a call to the family every day for the first CARE_DAILY_CALL_DAYS days of a
# stay, then one a week; after discharge, a follow-up call within N business days (Mon-Fri
# but the statutory holidays of ATTACH_HOLIDAYS),
# the follow-up appointment arranged within M days, the provider's reading of the summary
# within N business days of its arrival; a visit's PVP reminder N days ahead.
CARE_DAILY_CALL_DAYS = int(os.environ.get("CARE_DAILY_CALL_DAYS", "7"))
CARE_DISCHARGE_CALL_BUSINESS_DAYS = int(os.environ.get("CARE_DISCHARGE_CALL_BUSINESS_DAYS", "2"))
CARE_FOLLOW_UP_APPOINTMENT_DAYS = int(os.environ.get("CARE_FOLLOW_UP_APPOINTMENT_DAYS", "7"))
CARE_READ_SUMMARY_BUSINESS_DAYS = int(os.environ.get("CARE_READ_SUMMARY_BUSINESS_DAYS", "2"))
CARE_PVP_REMINDER_DAYS = int(os.environ.get("CARE_PVP_REMINDER_DAYS", "5"))
# Growing up (care.generator.transitions): a child in a programme has a task to start planning
# the move to adult care at CARE_TRANSITION_START_AGE, and one to arrange it six months before
# CARE_TRANSFER_AGE, when paediatric services end (in BC, at 19: BC Children's ON TRAC).
CARE_TRANSITION_START_AGE = int(os.environ.get("CARE_TRANSITION_START_AGE", "12"))
CARE_TRANSFER_AGE = int(os.environ.get("CARE_TRANSFER_AGE", "19"))
# The jurisdiction whose statutory holidays are not business days (registries/holidays.py):
# the `holidays` library's country and subdivision, "CA-BC" for British Columbia; empty for none.
ATTACH_HOLIDAYS = os.environ.get("ATTACH_HOLIDAYS", "CA-BC")
# --- self-service and the open figures (patients.otp, reports.figures) ---
# A one-time code opens the household's page: minutes it lives, wrong tries it allows,
# codes sent per household per hour, and how long the opened page stays open.
ATTACH_OTP_MINUTES = int(os.environ.get("ATTACH_OTP_MINUTES", "10"))
ATTACH_OTP_ATTEMPTS = int(os.environ.get("ATTACH_OTP_ATTEMPTS", "5"))
ATTACH_OTP_SEND_RATE = os.environ.get("ATTACH_OTP_SEND_RATE", "3/h")
ATTACH_SELF_SERVICE_MINUTES = int(os.environ.get("ATTACH_SELF_SERVICE_MINUTES", "20"))
# Text messages: "console" (logged, for development), "locmem" (kept in patients.otp.outbox,
# for tests) or "webhook" (a JSON POST of {"to", "body"} to ATTACH_SMS_WEBHOOK_URL, the
# shape SMS gateways accept, with ATTACH_SMS_WEBHOOK_TOKEN as a bearer token).
ATTACH_SMS_BACKEND = os.environ.get("ATTACH_SMS_BACKEND", "console")
ATTACH_SMS_WEBHOOK_URL = os.environ.get("ATTACH_SMS_WEBHOOK_URL", "")
ATTACH_SMS_WEBHOOK_TOKEN = os.environ.get("ATTACH_SMS_WEBHOOK_TOKEN", "")

# Production hardening; `manage.py check --deploy` passes with DEBUG=0 and a real SECRET_KEY.
_secure = not DEBUG and not TESTING and not DEMO
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _secure)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _secure)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _secure)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000 if _secure else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _secure
SECURE_HSTS_PRELOAD = _secure
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
X_FRAME_OPTIONS = "DENY"
# Every script and style is ours, from static/ (htmx and Chart.js vendored): nothing inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'"], "img-src": ["'self'", "data:"],
        "object-src": ["'none'"], "base-uri": ["'self'"], "form-action": ["'self'"], "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}


# --- FHIR (fhir/) ---------------------------------------------------------------------------
# The FHIR views use the API's REST_FRAMEWORK defaults below (OAuth 2 tokens, sessions).
# The EMR handoff webhook: attempts doubling from BACKOFF seconds (capped), given up after
# MAX_ATTEMPTS (then listed for the clinic lead and the administrator, with retry).
ATTACH_WEBHOOK_BACKOFF_SECONDS = float(os.environ.get("ATTACH_WEBHOOK_BACKOFF_SECONDS", "30"))
ATTACH_WEBHOOK_BACKOFF_MAX_SECONDS = float(os.environ.get("ATTACH_WEBHOOK_BACKOFF_MAX_SECONDS", "3600"))
ATTACH_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("ATTACH_WEBHOOK_MAX_ATTEMPTS", "10"))
ATTACH_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("ATTACH_WEBHOOK_TIMEOUT_SECONDS", "10"))
# A pending delivery this long past due is queued again by the sweeper (its message was lost).
ATTACH_WEBHOOK_SWEEP_GRACE_SECONDS = float(os.environ.get("ATTACH_WEBHOOK_SWEEP_GRACE_SECONDS", "120"))


# --- The REST API, its clients, and FHIR bulk export (api/) ---------------------------
# People in the browser keep their session; systems (an EMR, a data warehouse) present
# an OAuth 2 token from the client-credentials grant, which resolves to the client's
# service account (api/auth.py). Every DRF view, the FHIR ones included, uses these.
INSTALLED_APPS += ["rest_framework", "drf_spectacular", "drf_spectacular_sidecar", "oauth2_provider", "api"]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.ClientCredentialsAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttles.ApiRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
OAUTH2_PROVIDER = {
    # Systems only: the client-credentials grant, short-lived tokens, no refresh tokens.
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("ATTACH_API_TOKEN_SECONDS", "3600")),
    "SCOPES": {"api": "The Attach REST and FHIR APIs, within the client's role and scope"},
    "DEFAULT_SCOPES": ["api"],
    # The OAuth 2.0 Security BCP (RFC 9700) throughout: tokens stored hashed, only in the
    # Authorization header, no implicit or password grants, https redirect URIs only.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}
# DOT's models are swappable; our ApiClient points at its application model by this name.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
SPECTACULAR_SETTINGS = {
    "TITLE": "Attach API",
    "DESCRIPTION": "The Provincial Attachment System's REST API. Systems authenticate with an OAuth 2 "
                   "client-credentials token (POST /o/token/); people in the browser with their session.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # The reference page's assets are ours (drf-spectacular-sidecar), never a CDN's.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PatientGenderEnum": "registries.vocab.GENDERS",
        "ProviderGenderEnum": "registries.vocab.PROVIDER_GENDERS",
        "RegistrationStatusEnum": "patients.models.Registration.Status",
        "OfferStatusEnum": "attachment.workflow.models.Offer.Status",
        "ProposalStatusEnum": "attachment.workflow.models.Proposal.Status",
        "MatchRunStatusEnum": "attachment.workflow.models.MatchRun.Status",
    },
}
# Requests per client (a system's service account, or a person) per period, over every API.
ATTACH_API_RATE = os.environ.get("ATTACH_API_RATE", "1200/min")
# How long a system's token stays resolved in Redis (api/tokencache.py); revocation ends it at once.
ATTACH_API_TOKEN_CACHE_SECONDS = int(os.environ.get("ATTACH_API_TOKEN_CACHE_SECONDS", "60"))
# Bulk export files are kept this long, then deleted by the beat job api.bulk_expire.
ATTACH_BULK_EXPORT_HOURS = float(os.environ.get("ATTACH_BULK_EXPORT_HOURS", "24"))
