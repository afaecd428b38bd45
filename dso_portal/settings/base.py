"""Settings shared by every environment, configured from environment variables.

With no variables at all the product runs embedded: SQLite, the in-memory channel layer and
Celery tasks executed in-process. ``DATABASE_URL`` switches to PostgreSQL; ``REDIS_URL`` switches
to the Redis channel layer and real Celery workers.
"""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("DSO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "csp",
    "auditlog",  # registry change logging (apps.grid.models)
    "template_partials",  # named {% partialdef %} blocks rendered alone for in-place swaps
    "apps.accounts",
    "apps.audit",
    "apps.grid",
    "apps.live",
    "apps.studies",
    "apps.anm",
    "apps.forecasting",
    "apps.controlroom",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "apps.common.middleware.BodySizeLimitMiddleware",  # before anything reads the body
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.audit.middleware.RequestIdMiddleware",
    "apps.accounts.middleware.ShiftSessionMiddleware",
    "apps.accounts.middleware.UserTimeZoneMiddleware",  # times shown in the user's zone
    "auditlog.middleware.AuditlogMiddleware",  # names the request's user in change-log entries
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "dso_portal.urls"
WSGI_APPLICATION = "dso_portal.wsgi.application"
ASGI_APPLICATION = "dso_portal.asgi.application"

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
                "apps.live.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Web, worker, beat and the embedded study threads share one file: wait for a writer instead of
    # failing at once. IMMEDIATE takes the write lock when a transaction begins; a deferred one that
    # read first and then writes cannot wait (SQLite answers "database is locked" at once).
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
elif env_bool("DB_POOL", True):
    # Under ASGI every request runs its sync code on a thread of its own, so persistent connections
    # pile up one per thread until PostgreSQL refuses more ("too many clients"). A small pool per
    # process (psycopg_pool) hands connections back at the end of each request instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1, "max_size": int(os.environ.get("DB_POOL_MAX", 8)), "timeout": 30}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# --- Accounts: lockout, shift-length sessions, CSP (docs/security.md) -------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out username+IP pairs
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", 0.25))  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # a wrong password cannot lock a whole control room out
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# A session lasts one shift from login and ends after an idle spell (apps.accounts.middleware).
SESSION_SHIFT_HOURS = float(os.environ.get("SESSION_SHIFT_HOURS", 12))
SESSION_IDLE_MINUTES = float(os.environ.get("SESSION_IDLE_MINUTES", 60))
SESSION_COOKIE_AGE = int(SESSION_SHIFT_HOURS * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No inline script anywhere; styles may be inline because Plotly sets element styles at runtime.
# 'unsafe-eval' is absent: WebGL traces (regl) are allowed to fall back as Plotly does.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DSO_STATIC_ROOT", BASE_DIR / "staticfiles"))
# DSO_STATIC_MANIFEST=1 (scripts/run.sh in production shape, and production): static files are
# collected with content hashes and pre-compressed (gzip; brotli when installed), and whitenoise
# serves them with far-future cache headers. Without it they are served from the source tree.
STATIC_MANIFEST = env_bool("DSO_STATIC_MANIFEST", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage" if STATIC_MANIFEST
                    else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024  # pandapower JSON of a big network

# --- Input edges (apps/common): body sizes, page sizes, time windows --------------------------
# Body limits by path prefix, first match wins, checked on Content-Length before parsing (413).
REQUEST_BODY_LIMITS = [
    ("/api/v1/networks/import/", DATA_UPLOAD_MAX_MEMORY_SIZE),
    ("/api/v1/forecasting/weather/", int(os.environ.get("WEATHER_BODY_MAX_BYTES", 512 * 1024))),
    ("/api/", int(os.environ.get("API_BODY_MAX_BYTES", 64 * 1024))),
]
API_MAX_PAGE_SIZE = 500
# Times from outside (projection start, weather issue time) must lie in [now - past, now + future].
# The past side is wide on purpose: replays and backfills of past days are legitimate, and tests
# with fixed dates do not expire for years.
INPUT_TIME_PAST_DAYS = int(os.environ.get("INPUT_TIME_PAST_DAYS", 3660))
PROJECTION_START_FUTURE_DAYS = int(os.environ.get("PROJECTION_START_FUTURE_DAYS", 7))
WEATHER_ISSUED_FUTURE_HOURS = int(os.environ.get("WEATHER_ISSUED_FUTURE_HOURS", 6))
STUDY_PARAMETERS_MAX_BYTES = 4096

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "apps.common.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DSO Control Room API",
    "DESCRIPTION": "Network registry, studies and live events for operators, engineers, "
    "aggregators and the TSO.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.common.openapi.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {},
}

# --- Redis: channel layer and Celery broker, or embedded equivalents -------------------------
# DSO_EMBEDDED=1 forces the embedded mode even when REDIS_URL is set (scripts/run.sh then ignores
# a Redis on localhost too).
EMBEDDED = env_bool("DSO_EMBEDDED", False)
REDIS_URL = "" if EMBEDDED else os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Retries its blocking read through a Redis outage instead of failing the socket.
            "BACKEND": "apps.live.layers.ResilientRedisChannelLayer",
            "CONFIG": {"hosts": [{
                "address": REDIS_URL,
                # channels_redis blocks in BZPOPMIN for 5 s; redis-py 8's default 5 s socket timeout
                # raced it and closed every idle socket with 1011. Read timeout well above it.
                "socket_timeout": 30, "socket_connect_timeout": 5, "socket_keepalive": True,
                "health_check_interval": 30,
            }]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Django cache: figure JSON built once per network revision or study result (apps.common.
# figure_cache), shared by every web process through Redis; process memory when embedded.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": "dso-cache", "TIMEOUT": 6 * 3600}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dso",
                          "OPTIONS": {"MAX_ENTRIES": 200}}}
FIGURE_CACHE_SECONDS = int(os.environ.get("FIGURE_CACHE_SECONDS", 6 * 3600))

# Studies complete exactly once (apps/studies/services.py): each running study beats every
# STUDY_HEARTBEAT_SECONDS; the reaper (beat, every STUDY_REAP_SECONDS, and at worker start)
# requeues one silent for STUDY_STALE_SECONDS, failing it after STUDY_MAX_ATTEMPTS; it also sends
# queued studies the broker never took (outbox) or lost.
STUDY_MAX_SECONDS = int(os.environ.get("STUDY_MAX_SECONDS", 3600))
STUDY_HEARTBEAT_SECONDS = float(os.environ.get("STUDY_HEARTBEAT_SECONDS", 10))
STUDY_STALE_SECONDS = float(os.environ.get("STUDY_STALE_SECONDS", 60))
STUDY_REAP_SECONDS = float(os.environ.get("STUDY_REAP_SECONDS", 30))
STUDY_MAX_ATTEMPTS = int(os.environ.get("STUDY_MAX_ATTEMPTS", 3))
STUDY_DISPATCH_GRACE_SECONDS = float(os.environ.get("STUDY_DISPATCH_GRACE_SECONDS", 10))
STUDY_REDISPATCH_SECONDS = float(os.environ.get("STUDY_REDISPATCH_SECONDS", 15 * 60))
# Embedded (no broker): a study queued by a request runs on a small in-process thread pool, off
# the request thread, and its progress arrives live (apps/studies/background.py).
STUDY_EMBEDDED_BACKGROUND = env_bool("STUDY_EMBEDDED_BACKGROUND", True)
STUDY_EMBEDDED_THREADS = int(os.environ.get("STUDY_EMBEDDED_THREADS", 2))
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "studies")
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The claim makes a redelivery harmless, so the visibility timeout need not exceed the longest
# study: it only bounds how long a message a dead worker took stays invisible (the reaper usually
# acts first). Publishing gives up quickly when Redis is down; the outbox sweep sends it later.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 15 * 60, "socket_timeout": 10, "socket_connect_timeout": 5}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TIME_LIMIT = STUDY_MAX_SECONDS + 60
CELERY_TASK_SOFT_TIME_LIMIT = STUDY_MAX_SECONDS
CELERY_BEAT_SCHEDULE = {
    # The ANM projection reruns every 15 minutes on fresh forecasts.
    "anm-projections": {"task": "anm.schedule_projections", "schedule": 15 * 60.0},
    # Forecasts issued by those projections are scored once what they forecast has happened.
    "forecast-scoring": {"task": "forecasting.score_due", "schedule": 60 * 60.0},
    # Studies whose worker is gone, and studies the broker never got.
    "studies-reap": {"task": "studies.reap", "schedule": STUDY_REAP_SECONDS},
}
CELERY_TIMEZONE = TIME_ZONE

RUN_MODE = "production shape (Redis channel layer, Celery workers)" if REDIS_URL else (
    "embedded (in-memory channel layer, tasks run in-process)"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}, "axes": {"level": "WARNING"}, "pandapower": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}
