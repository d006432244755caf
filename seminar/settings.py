"""Settings for Seminar, read from the environment.

Defaults suit `make run` on a laptop (SQLite, in-memory channel layer, one process);
production sets SECRET_KEY, ALLOWED_HOSTS, and optionally DATABASE_URL and REDIS_URL.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment, or start the app with `make run`, "
            "which generates one into .secret_key."
        )
    SECRET_KEY = "django-insecure-debug-only-key"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# The absolute base URL printed in QR codes and join links, e.g. https://seminar.school.example.
# Unset: built from the request, which is right unless a proxy rewrites the host.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "axes",
    "guide",
    "seminar",
]

MIDDLEWARE = [
    # First: nothing of a request runs beside a tick's frames going out (seminar/turns.py).
    "seminar.turns.AfterTheFanOutMiddleware",
    "seminar.middleware.MarkOwnResponsesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "seminar.middleware.SessionErrorMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

# Sign-in throttling (django-axes), for /accounts/login/ and /admin/login/ alike: after
# AXES_FAILURE_LIMIT wrong passwords for one username from one client, that pair is locked
# out for AXES_COOLOFF_TIME. Counted where every worker sees it: the shared cache when
# REDIS_URL is set, else the database (the in-process cache is one worker's only). A right
# password resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = (
    "axes.handlers.cache.AxesCacheHandler"
    if os.environ.get("REDIS_URL")
    else "axes.handlers.database.AxesDatabaseHandler"
)
AXES_FAILURE_LIMIT = int(os.environ.get("SEMINAR_SIGNIN_FAILURES", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("SEMINAR_SIGNIN_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "seminar.views.signin.locked_out"
AXES_CLIENT_IP_CALLABLE = "seminar.ratelimit.client_address"
AXES_VERBOSE = False

ROOT_URLCONF = "seminar.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

ASGI_APPLICATION = "seminar.asgi.application"

# SQLite by default, in WAL mode so the board can read while a student writes.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Under ASGI each request may run in its own thread: persistent per-thread connections
        # would pile up (PostgreSQL ran out of slots in the scale-out bench). PostgreSQL gets
        # a real pool below instead.
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": int(os.environ.get("DATABASE_POOL_SIZE", 20)),
        "timeout": 10,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The same backend, with writers taking turns in the process (see its docstring).
    DATABASES["default"]["ENGINE"] = "seminar.backends.sqlite3"
    # Requests run on one long-lived thread (seminar/turns.py): keep its connection.
    DATABASES["default"]["CONN_MAX_AGE"] = 300
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so a test's server subprocess (manage.py serve) can share it; one per
    # test run.
    DATABASES["default"]["TEST"] = {
        "NAME": Path(tempfile.gettempdir()) / f"seminar-test-{os.getpid()}.sqlite3"
    }

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis' pub/sub layer, delivering to each process's sockets directly.
            "BACKEND": "seminar.layers.SeminarRedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            # Channels' in-memory layer with direct delivery and no silent drops (measured:
            # docs/performance.md).
            "BACKEND": "seminar.layers.SeminarChannelLayer",
            "CONFIG": {"capacity": 1000},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "seminar:facilitate"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic gathers them for the proxy to serve (docs/deploy.md); under the checkout
# unless the deployment says otherwise.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed, compressed files with far-future cache headers, unless running from source.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Nothing is ever fetched from another host: the app works on a LAN with no internet.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A student's browser stays the same participant for a school term.
SESSION_COOKIE_AGE = 60 * 60 * 24 * 120
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Behind TLS (production): secure cookies, HSTS, redirect to https.
HTTPS = env_bool("HTTPS", False)
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading binds the whole domain to HTTPS for good: a school opts in, not us.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Presence ("12 here") is broadcast at most once per this many seconds per session.
SEMINAR_PRESENCE_DELAY = float(os.environ.get("SEMINAR_PRESENCE_DELAY", 0.5))

# Under load, each process renders a session's changes at most once per tick (seconds) and
# every socket gets one frame per tick (seminar/ticks.py); a quiet room gets each at once.
SEMINAR_TICK = float(os.environ.get("SEMINAR_TICK", 0.05))

# The board pages through at most this many answers of a question (pinned first, then in
# its order), so a lecture hall's thousand answers cost a projector no more than this.
SEMINAR_BOARD_ANSWERS = int(os.environ.get("SEMINAR_BOARD_ANSWERS", 200))

# Rate limits, per client per minute.
SEMINAR_JOIN_RATE = int(os.environ.get("SEMINAR_JOIN_RATE", 20))
SEMINAR_POST_RATE = int(os.environ.get("SEMINAR_POST_RATE", 30))

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Browsers' sessions, read on every request: room enough for a whole school's devices.
    "sessions": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "sessions",
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    },
}
# Sessions are kept in the database (nothing is lost on a restart). One process (the
# embedded default) also keeps them in its memory, so a student's post costs no session query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "sessions"
if REDIS_URL:
    # Rate limits must be shared by every worker.
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }
    # Several workers: one's memory would go stale, and a student must still join and post
    # while Redis is down (tests/test_crash_recovery.py), so sessions are read from the
    # database.
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"seminar": {"level": os.environ.get("SEMINAR_LOG_LEVEL", "INFO")}},
}

# Behind a reverse proxy, the header that carries the client's address (e.g. X-Forwarded-For);
# unset, REMOTE_ADDR is used, which is right when the server faces the clients directly, and
# uvicorn (manage.py serve) ignores forwarded headers.
TRUSTED_PROXY_HEADER = os.environ.get("TRUSTED_PROXY_HEADER", "")
