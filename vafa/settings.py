"""Settings, read from the environment and the installation's settings file (vafa/config.py),
with safe defaults for a local run. A bad value is one clear ImproperlyConfigured line."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from vafa.config import (
    database_settings,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_str,
    load_settings_file,
)

BASE_DIR = Path(__file__).resolve().parent
# From the environment only: the settings file lives here.
VAR_DIR = Path(os.environ.get("VAFA_VAR_DIR") or Path.cwd() / "var").absolute()
try:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
except OSError as exc:
    raise ImproperlyConfigured(f"VAFA_VAR_DIR: cannot create {VAR_DIR} ({exc.strerror})") from None
# Created with a new secret on the first run; its values count where the environment has none.
SETTINGS_FILE = load_settings_file(VAR_DIR)

DEBUG = env_bool("VAFA_DEBUG", False)
_DEV_SECRET = "vafa-local-development-secret-do-not-use-in-production"
SECRET_KEY = env_str("VAFA_SECRET_KEY")
# Production is the default unless VAFA_DEV says this is a developer's machine.
DEV_MODE = env_bool("VAFA_DEV", DEBUG)
if not SECRET_KEY and DEV_MODE:
    SECRET_KEY = _DEV_SECRET
if not SECRET_KEY:
    raise ImproperlyConfigured(f"VAFA_SECRET_KEY is not set (in the environment or {SETTINGS_FILE}); "
                               "VAFA_DEV=1 allows a development secret on a developer's machine")
if not DEV_MODE and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("VAFA_SECRET_KEY is the built-in development secret, refused in production: "
                               f"set a secret of your own (or VAFA_DEV=1 for a local run); see {SETTINGS_FILE}")
if not DEV_MODE and len(SECRET_KEY) < 32:
    raise ImproperlyConfigured(f"VAFA_SECRET_KEY is too short for production ({len(SECRET_KEY)} characters, at least "
                               "32): python3 -c 'import secrets; print(secrets.token_urlsafe(50))' makes one")

ALLOWED_HOSTS = env_list("VAFA_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("VAFA_CSRF_TRUSTED_ORIGINS")
for _origin in CSRF_TRUSTED_ORIGINS:
    if not _origin.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"VAFA_CSRF_TRUSTED_ORIGINS: {_origin!r} needs its scheme, "
                                   f"e.g. https://{_origin}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "vafa.core",
    "vafa.merchants",
    "vafa.members",
    "vafa.ledger",
    "vafa.program",
    "vafa.rewards",
    "vafa.referrals",
    "vafa.commerce",
    "vafa.member_events",
    "vafa.engage",
    "vafa.usecases",
    "vafa.portability",
    "vafa.integrations",
    "vafa.insight",
    "vafa.webhooks",
    "vafa.api",
    "vafa.web",
    "vafa.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "vafa.core.client_ip.ForwardedForCheckMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "vafa.core.locale.ClubLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "vafa.core.admin_audit.AdminAuditMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "vafa.api.errors.ApiErrorShapeMiddleware",
]

ROOT_URLCONF = "vafa.urls"
WSGI_APPLICATION = "vafa.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "vafa.web.context.page",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'vafa.sqlite3'}")
# Health checks cost a `SELECT 1` per request; turn them on where connections go stale.
DATABASES = {"default": database_settings(DATABASE_URL, conn_max_age=600,
                                          conn_health_checks=env_bool("VAFA_DB_HEALTH_CHECKS", False))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Every write transaction takes the write lock at BEGIN, so concurrent writers wait
    # (busy timeout) instead of failing with "database is locked" on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=30000;"
        ),
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("VAFA_PG_PREPARE", True):
    # Server-side binding lets psycopg prepare the hot statements (measured: about 30% less
    # database CPU per purchase). Turn off behind a transaction-pooling pgbouncer.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # One test database per test process, so parallel runs on one server never collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fa"
LANGUAGES = [("fa", _("Persian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tehran"
USE_I18N = True
USE_TZ = True

# Uploads (contest photos) live under var/media, served only through views that check who asks.
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve the apps' static files from the installed package, without a collectstatic step. The
# front-end files (htmx, Chart.js, Vazirmatn) are in vafa/web/static/vendor/, put there by the
# wheel build or `make install` (tools/build_assets.py).
WHITENOISE_USE_FINDERS = True
# The checkout's npm packages: only the browser tests read them (axe-core).
NODE_MODULES = Path(env_str("VAFA_NODE_MODULES") or BASE_DIR.parent / "node_modules")

# How many reverse proxies stand in front (they append to X-Forwarded-For); 0 = none.
TRUSTED_PROXIES = env_int("VAFA_TRUSTED_PROXIES", 0)

if TRUSTED_PROXIES:
    # The proxy terminates TLS and says so; Django then knows the request was HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The site is served over HTTPS (directly or by the proxy): plain HTTP is redirected and
# browsers are told to keep to HTTPS (HSTS, a year unless VAFA_HSTS_SECONDS says otherwise).
# Off by default, so a plain HTTP server on 127.0.0.1 (tests, a first look) keeps working.
HTTPS = env_bool("VAFA_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("VAFA_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
# Whether every subdomain is HTTPS too, and the preload list, are the domain owner's choices.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("VAFA_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("VAFA_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
# The site's public address (https://club.example.ir): makes members' referral links absolute.
VAFA_PUBLIC_URL = os.environ.get("VAFA_PUBLIC_URL", "").strip().rstrip("/")

LOGIN_URL = "manage:login"
LOGIN_REDIRECT_URL = "manage:home"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("VAFA_SESSION_SECONDS", 8 * 3600, minimum=60)  # a working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEV_MODE
CSRF_COOKIE_SECURE = not DEV_MODE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every answer (django-csp): scripts, styles and fonts only from this
# site's own files (no inline script or style anywhere: behaviour is in static/web/*.js), no
# frames, forms post only here. A cross-site script that got into a page could not run.
_SELF = "'self'"
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": [_SELF], "script-src": [_SELF], "style-src": [_SELF], "img-src": [_SELF, "data:"],
    "font-src": [_SELF], "connect-src": [_SELF], "object-src": ["'none'"], "base-uri": [_SELF],
    "form-action": [_SELF], "frame-ancestors": ["'none'"],
}}

# Background tasks (django-tasks): in the database by default, so `vafa worker` runs them with
# nothing else installed. A bigger installation moves them to Redis with RQ, e.g.
# VAFA_TASKS_BACKEND=django_tasks_rq.RQBackend VAFA_EXTRA_APPS=django_rq,django_tasks_rq
# VAFA_RQ_URL=redis://127.0.0.1:6379/0, and runs `vafa rqworker --job-class django_tasks_rq.Job`
# beside `vafa worker` (which then schedules the jobs and handles the outbox). See the README.
TASKS = {"default": {"BACKEND": env_str("VAFA_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
                     "QUEUES": ["default"]}}
INSTALLED_APPS += env_list("VAFA_EXTRA_APPS")
if env_str("VAFA_RQ_URL"):
    RQ_QUEUES = {"default": {"URL": env_str("VAFA_RQ_URL"), "DEFAULT_TIMEOUT": 600}}

# The names of vafa.integrations.sms's BACKENDS (a test keeps them equal), checked at start-up.
SMS_BACKENDS = ("console", "kavenegar", "smsir", "ghasedak")
SMS_BACKEND = env_choice("VAFA_SMS_BACKEND", "console", SMS_BACKENDS)
# In production the console backend (it writes login codes to a file and the log) is used only
# when chosen by name; by default nothing is sent and `vafa check --deploy` says why.
SMS_BACKEND_CHOSEN = bool(env_str("VAFA_SMS_BACKEND"))
SMS_OUTBOX = Path(env_str("VAFA_SMS_OUTBOX") or VAR_DIR / "outbox.jsonl")
# Credentials of a real gateway (kavenegar, smsir, ghasedak); unused by the console backend.
SMS_API_KEY = env_str("VAFA_SMS_API_KEY")
SMS_SENDER = env_str("VAFA_SMS_SENDER")  # the line number messages are sent from
SMS_BASE_URL = env_str("VAFA_SMS_BASE_URL")  # empty: the gateway's own address
SMS_TIMEOUT = env_float("VAFA_SMS_TIMEOUT", 10.0)  # seconds
# E-mail: Django's file backend under var/mail/ unless VAFA_EMAIL_BACKEND names another (e.g.
# django.core.mail.backends.smtp.EmailBackend with VAFA_EMAIL_HOST, _PORT, _HOST_USER,
# _HOST_PASSWORD, _USE_TLS).
EMAIL_BACKEND = env_str("VAFA_EMAIL_BACKEND") or "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = Path(env_str("VAFA_EMAIL_FILE_PATH") or VAR_DIR / "mail")
EMAIL_HOST = env_str("VAFA_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("VAFA_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("VAFA_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("VAFA_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("VAFA_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("VAFA_EMAIL_FROM", "club@localhost")

# Engagement (vafa/engage): when marketing may go out (Tehran time), how much of it a member
# gets a week, what an SMS part costs, and the inbound SMS hook's secret.
SENDING_WINDOW = env_str("VAFA_SENDING_WINDOW", "09:00-21:00")
MARKETING_PER_WEEK = env_int("VAFA_MARKETING_PER_WEEK", 2)
SMS_PRICE_PER_PART_RIAL = env_int("VAFA_SMS_PRICE_PER_PART_RIAL", 1_500)
# A service line (سرشماره خدماتی) must end marketing with «لغو۱۱»; an advertising line need not.
SMS_SERVICE_LINE = env_bool("VAFA_SMS_SERVICE_LINE", True)
SMS_INBOUND_TOKEN = env_str("VAFA_SMS_INBOUND_TOKEN")
# Campaign messages handed to the gateway per minute (the gateway's own limit, or less).
SEND_PER_MINUTE = env_int("VAFA_SEND_PER_MINUTE", 600, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"],
             "level": env_choice("VAFA_LOG_LEVEL", "WARNING", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))},
}

# One-time login codes (vafa/members/otp.py has the defaults); e.g. VAFA_OTP_TTL_SECONDS=180.
for _name, _minimum in (("TTL_SECONDS", 1), ("RESEND_SECONDS", 0), ("PHONE_PER_HOUR", 1), ("IP_PER_HOUR", 1),
                        ("PHONE_ALL_PER_HOUR", 1),
                        ("MAX_ATTEMPTS", 1), ("IP_MAX_FAILURES", 1), ("LOCK_SECONDS", 0),
                        ("CLUB_PER_HOUR", 1)):
    if env_str(f"VAFA_OTP_{_name}"):
        globals()[f"VAFA_OTP_{_name}"] = env_int(f"VAFA_OTP_{_name}", 0, minimum=_minimum)

# API calls per minute and key (in each server process, or club-wide with a shared cache); a scope
# may have a stricter limit: VAFA_API_RATE_BY_SCOPE="program=60,points:adjust=300".
API_RATE_PER_MINUTE = env_int("VAFA_API_RATE_PER_MINUTE", 120_000, minimum=1)
# A daily job that catches up (birthdays) runs for the days the worker missed, this many back.
JOBS_CATCH_UP_DAYS = env_int("VAFA_JOBS_CATCH_UP_DAYS", 7, minimum=1)
# How long what the club keeps only for a while is kept (vafa/usecases/retention.py).
RETENTION_DAYS = env_int("VAFA_RETENTION_DAYS", 30, minimum=1)
IDEMPOTENCY_DAYS = env_int("VAFA_IDEMPOTENCY_DAYS", 30, minimum=1)
# The largest API request body (a programme document or a code pool fits well inside); larger: 413.
API_MAX_BODY_BYTES = env_int("VAFA_API_MAX_BODY_BYTES", 2 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(API_MAX_BODY_BYTES, 2_621_440)
API_RATE_BY_SCOPE = {}
for _item in env_list("VAFA_API_RATE_BY_SCOPE"):
    _scope, _, _limit = _item.partition("=")
    if not _limit.strip().isdigit() or int(_limit) < 1:
        raise ImproperlyConfigured(f"VAFA_API_RATE_BY_SCOPE: {_item!r} is not scope=calls-per-minute")
    API_RATE_BY_SCOPE[_scope.strip()] = int(_limit)
# A member spending points at the operator's own API tills shows a spend code above this many
# points (0: never asked of the operator; partners are always asked).
OPERATOR_SPEND_PROOF_ABOVE = env_int("VAFA_OPERATOR_SPEND_PROOF_ABOVE", 0)
# Lifetime value (vafa/insight): each month ahead is discounted by this percent (0: not at all).
_clv_discount = env_str("VAFA_CLV_MONTHLY_DISCOUNT")
try:
    CLV_MONTHLY_DISCOUNT = float(_clv_discount) if _clv_discount else 1.0
except ValueError:
    CLV_MONTHLY_DISCOUNT = float("nan")
if not 0 <= CLV_MONTHLY_DISCOUNT < 100:  # also refuses nan
    raise ImproperlyConfigured(f"VAFA_CLV_MONTHLY_DISCOUNT must be a percent a month from 0 to below 100, "
                               f"not {_clv_discount!r}")

# `vafa serve` (gunicorn): processes, threads per process, the access log on stdout.
SERVE_WORKERS = env_int("VAFA_WORKERS", 2 * (os.cpu_count() or 1) + 1, minimum=1)
SERVE_THREADS = env_int("VAFA_THREADS", 1, minimum=1)
SERVE_ACCESS_LOG = env_bool("VAFA_ACCESS_LOG", True)
# Outgoing webhooks may call private, loopback and link-local addresses (and plain http://) only
# where this says so: a developer's receiver on 127.0.0.1. Off in production (no SSRF).
WEBHOOKS_ALLOW_PRIVATE = env_bool("VAFA_WEBHOOKS_ALLOW_PRIVATE", DEV_MODE)
