"""Settings for the newsroom curation project.

Everything that differs between a laptop and a server comes from environment variables
(see README.md, "Configuration"). The defaults are safe for development only: with
DJANGO_DEBUG=0 a missing DJANGO_SECRET_KEY stops the process at start instead of
running with a guessable key.
"""

import os
import zoneinfo
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from curation.validation import SEED_BYTES_MOST  # no Django imports: safe to load here

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_list(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name, default, *, least=None):
    # `least`: a value below it is a typo or a misreading (0 taken for "off" where it is not),
    # which would otherwise start a process that fails later or silently does something else.
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if least is not None and number < least:
        raise ImproperlyConfigured(f"{name} must be at least {least}, not {number}")
    return number


def env_zone(name, default):
    """A time zone's name from the environment, checked at start: the error names this
    variable (DJANGO_TIME_ZONE was reported as a bad STATS_TIME_ZONE, its default)."""
    value = os.environ.get(name) or default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name} {value!r} is not a known time zone") from None
    return value


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "newsroom.admin_site.NewsroomAdminConfig",  # django.contrib.admin, every action's selection checked
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.syndication",
    "django_filters",
    "csp",
    "axes",
    "curation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A POST body Django cannot read: 400 before the CSRF check (and its error page) trip on it.
    "curation.middleware.RefuseUnreadableBodyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # A NUL in the address: 400 before any view queries the database with it.
    "curation.middleware.RefuseNulMiddleware",
    # Deadlocks, lock timeouts and a busy or unreachable database: 409/503 with a message.
    "curation.middleware.DatabaseTroubleMiddleware",
    # Last, as django-axes requires: it turns a lockout raised during login into HTTP 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"

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
                "curation.context_processors.queue_counts",
            ],
        },
    },
    {
        # Only the queue's row templates (newsroom/jinja2.py says why); pages stay Django templates.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "rows",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "newsroom.jinja2.environment", "trim_blocks": True, "lstrip_blocks": True},
    },
]

WSGI_APPLICATION = "newsroom.wsgi.application"


def database_from_env():
    default_url = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    config = dj_database_url.parse(
        os.environ.get("DATABASE_URL", default_url),
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60, least=0),
        conn_health_checks=True,
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Several editors and an import write at once. WAL lets readers go on while one
        # writer works; IMMEDIATE takes the write lock when the transaction starts, so two
        # writers queue on the busy timeout instead of failing with "database is locked"
        # when a read lock cannot be upgraded half-way through.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # Every query here reads a page of rows through an index; the planner's cost of a
        # query with per-row subqueries (the queue by story) passes the JIT threshold, and
        # compiling it took 85 ms of a 86 ms query. JIT pays off only for long scans.
        config.setdefault("OPTIONS", {})["options"] = "-c jit=off"
    if os.environ.get("DJANGO_TEST_DATABASE_NAME"):
        # Lets two test runs share one PostgreSQL server without dropping each other's database.
        config["TEST"] = {"NAME": os.environ["DJANGO_TEST_DATABASE_NAME"]}
    return config


DATABASES = {"default": database_from_env()}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# AxesStandaloneBackend first: it refuses every login attempt (even with the right
# password) from a client that is locked out, then ModelBackend checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "curation:queue"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_zone("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security -----------------------------------------------------------------------------
# Production (DJANGO_DEBUG=0) is strict by default: HTTPS only, secure cookies, HSTS.
# Each piece can be turned off from the environment for a deployment that handles it
# elsewhere (see docs/deployment.md); turning one off also silences the matching
# `check --deploy` warning, since the operator chose it knowingly.


PRODUCTION = not DEBUG
SILENCED_SYSTEM_CHECKS = []

SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", PRODUCTION)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0, least=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", PRODUCTION)
if PRODUCTION:
    for explicit_off, check_id in [
        (not SECURE_SSL_REDIRECT, "security.W008"),
        (not SESSION_COOKIE_SECURE, "security.W012"),
        (not CSRF_COOKIE_SECURE, "security.W016"),
        (SECURE_HSTS_SECONDS == 0, "security.W004"),
        (SECURE_HSTS_SECONDS and not SECURE_HSTS_INCLUDE_SUBDOMAINS, "security.W005"),
        (SECURE_HSTS_SECONDS and not SECURE_HSTS_PRELOAD, "security.W021"),
    ]:
        if explicit_off:
            SILENCED_SYSTEM_CHECKS.append(check_id)

# Behind a TLS-terminating proxy (nginx, a load balancer) Django sees plain HTTP; the proxy
# says the original scheme in X-Forwarded-Proto. Trust that header only when told to: a
# client talking to gunicorn directly could otherwise claim HTTPS.
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Sessions in the database, keys only of the shape Django makes (newsroom/sessions.py says why).
SESSION_ENGINE = "newsroom.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A stale form is a page in the site's layout that says what to do (templates/errors/403.html).
CSRF_FAILURE_VIEW = "curation.views.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4): scripts and styles only from our own static
# files, never inline; article images are hot-linked from the sources, over https or http.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "https:", "http:", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Login throttling (django-axes). Failed logins are counted per username and client address
# together: the AXES_FAILURE_LIMIT-th failure for one username from one address within the
# cool-off window is answered with HTTP 429, and logins to that account from that address,
# even with the right password, are refused until the window has passed (or an admin runs
# `manage.py axes_reset` / `axes_reset_username NAME`). One person's typos therefore never
# lock out colleagues behind the same office address, and someone guessing at a colleague's
# name from elsewhere cannot lock them out either.
# It covers every login form that goes through django.contrib.auth (editor and admin).
AXES_ENABLED = env_bool("DJANGO_AXES_ENABLED", True)
# At least 1 each: a limit of 0 refuses every login (django-axes locks out at failures >= limit,
# and 0 >= 0), and a cool-off of 0 or less lifts every lockout at once. DJANGO_AXES_ENABLED=0
# is the way to turn throttling off.
AXES_FAILURE_LIMIT = env_int("DJANGO_AXES_FAILURE_LIMIT", 5, least=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_AXES_COOLOFF_MINUTES", 15, least=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A successful login does not wipe the count: otherwise anyone holding one account could
# reset their address between guesses at other people's passwords.
AXES_RESET_ON_SUCCESS = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "security/locked_out.html"
# Behind N trusted proxies, the client address is the N-th entry from the right of
# X-Forwarded-For (the left-most entries are whatever the client sent).
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0, least=0)
AXES_CLIENT_IP_CALLABLE = "newsroom.security.client_ip_address"

# --- Shared state for several app servers -------------------------------------------------
# With REDIS_URL, Django's own Redis cache backend is the cache every app server shares: the
# public side's stored renders (kept under their ETag, whose validators every server reads
# from the database) and django-axes' failed-login counters, so five failures spread over
# two servers lock the client out on both. Without it: each process's local memory for the
# renders, and axes' counters in the database (also shared, one row per attempt). Sessions
# stay in the database either way.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"REDIS_URL must start with redis://, rediss:// or unix://, not {REDIS_URL[:20]!r}")
    SHARED_CACHE = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Several sites may share one Redis: keys carry this prefix.
        "KEY_PREFIX": os.environ.get("DJANGO_CACHE_KEY_PREFIX", "newsroom"),
    }
    # The public side's stored renders in the same Redis (its memory is not counted in
    # entries; each render expires after PUBLIC_RESPONSE_CACHE_SECONDS).
    CACHES = {"default": SHARED_CACHE, "public": SHARED_CACHE}
    AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Apart from "default", which keeps the editors' undo records: a process's local
        # memory holds at most MAX_ENTRIES and drops a third of them when full, and a
        # stranger asking for many public URLs must not push an editor's undo out.
        "public": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "public-responses",
            "OPTIONS": {"MAX_ENTRIES": env_int("PUBLIC_RESPONSE_CACHE_ENTRIES", 300, least=1)},
        },
    }
    AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

# --- The public side (pages, feeds, API) ---------------------------------------------------
PUBLIC_SITE_TITLE = os.environ.get("PUBLIC_SITE_TITLE", "Newsroom")
# How long a browser or CDN may reuse a public response without asking again: an item
# unpublished now disappears from every cache within this many seconds.
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 60, least=0)
# How long a rendered feed or API response is kept server-side under its ETag (0: never).
PUBLIC_RESPONSE_CACHE_SECONDS = env_int("PUBLIC_RESPONSE_CACHE_SECONDS", 300, least=0)
# Upper bound on an ETag's life whatever the validators say (changes they cannot see). At
# least 1: the ETag divides the clock by it, so 0 made every public page a 500.
PUBLIC_ETAG_REFRESH_SECONDS = env_int("PUBLIC_ETAG_REFRESH_SECONDS", 600, least=1)

# Seed import limits (README, "Configuration"). Seed files are untrusted: a file larger
# than SEED_MAX_BYTES is refused before it is read into memory or parsed; inside a file,
# a field over its limit fails the file with a reason naming the field, except images and
# related items, which are cut to the limit with a note in the ledger.
def env_limit(name, default, *, most=None):
    value = env_int(name, default)
    if value < 1 or (most is not None and value > most):
        raise ImproperlyConfigured(f"{name} must be from 1 to {most or 'any'}, not {value}")
    return value


# At most 1 GiB (validation.SEED_BYTES_MOST says why; import_seed_files checks it again).


def _default_cache_dir():
    try:
        home_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home directory for this user
        return ""
    return str(home_cache / "newsroom")


# Data derived once and kept between processes (the stories' merged word tables, which take
# an import a third of a second to build); "" keeps nothing.
NEWSROOM_CACHE_DIR = os.environ.get("NEWSROOM_CACHE_DIR", _default_cache_dir())

SEED_MAX_BYTES = env_limit("SEED_MAX_BYTES", 2 * 1024 * 1024, most=SEED_BYTES_MOST)
SEED_MAX_TITLE_CHARS = env_limit("SEED_MAX_TITLE_CHARS", 1_000)
SEED_MAX_EXCERPT_CHARS = env_limit("SEED_MAX_EXCERPT_CHARS", 10_000)
SEED_MAX_BODY_CHARS = env_limit("SEED_MAX_BODY_CHARS", 1_000_000)
SEED_MAX_TOPICS = env_limit("SEED_MAX_TOPICS", 50)
# Positions of images and related items are small integers (at most 32,767) in the database.
SEED_MAX_RELATED = env_limit("SEED_MAX_RELATED", 100, most=32_767)
SEED_MAX_IMAGES = env_limit("SEED_MAX_IMAGES", 50, most=32_767)
# Deeper nesting than this is refused while libyaml composes it, long before its recursion
# in C could overflow the stack (about 25,000 levels did).
SEED_MAX_DEPTH = env_limit("SEED_MAX_DEPTH", 20, most=1_000)
SEED_MAX_YAML_NODES = env_limit("SEED_MAX_YAML_NODES", 50_000)
try:
    SEED_PARSE_TIMEOUT = float(os.environ.get("SEED_PARSE_TIMEOUT") or 5)
except ValueError:
    raise ImproperlyConfigured("SEED_PARSE_TIMEOUT must be a number of seconds") from None
if not 0 < SEED_PARSE_TIMEOUT <= 3600:
    raise ImproperlyConfigured("SEED_PARSE_TIMEOUT must be more than 0 and at most 3600 seconds")

# An unfinished import run whose last committed batch is older than this is shown as
# interrupted on other servers (on its own host its process is asked directly). Longer than
# the slowest step between two commits: the end of a large import's clustering.
IMPORT_STALE_AFTER_MINUTES = env_int("IMPORT_STALE_AFTER_MINUTES", 15, least=1)

# Triage rules (README, "Triage rules"): RULES_ENABLED=0 stops every rule whatever the
# admins' switch says; one run (an import's end, apply_rules) writes at most
# RULES_MAX_DECISIONS times, then stops and says so.
RULES_ENABLED = env_bool("RULES_ENABLED", True)
RULES_MAX_DECISIONS = env_limit("RULES_MAX_DECISIONS", 1000)


# Any case ("debug" too); another name stopped the process with "Unable to configure logger".
LOG_LEVEL = (os.environ.get("DJANGO_LOG_LEVEL") or "WARNING").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"DJANGO_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's default config gives the "django" logger a console handler of its own (in
    # debug) and lets it propagate to the root's as well, so the demo's server printed every
    # warning twice. One handler: the root's.
    "loggers": {"django": {"handlers": [], "level": LOG_LEVEL, "propagate": True}},
}

# Statistics (/curate/stats/): the time zone whose days the figures are counted in (a change
# rebuilds the rollup), and how many log rows a page view may count before it shows figures
# that lag (the rest is left to `manage.py curation_stats --refresh`, run by the scheduler).
STATS_TIME_ZONE = env_zone("STATS_TIME_ZONE", TIME_ZONE)
STATS_REFRESH_ROWS_PER_REQUEST = env_int("STATS_REFRESH_ROWS_PER_REQUEST", 5_000, least=0)
