"""Settings, read from the environment with safe defaults for a local run."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("VAFA_VAR_DIR", Path.cwd() / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("VAFA_DEBUG", False)
_DEV_SECRET = "vafa-local-development-secret-do-not-use-in-production"
SECRET_KEY = os.environ.get("VAFA_SECRET_KEY", _DEV_SECRET)
# Production is the default unless VAFA_DEV says this is a developer's machine.
DEV_MODE = _env_bool("VAFA_DEV", DEBUG)
if not DEV_MODE and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("Set VAFA_SECRET_KEY (or VAFA_DEV=1 for a local run).")

ALLOWED_HOSTS = [h for h in os.environ.get("VAFA_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("VAFA_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

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
    "vafa.usecases",
    "vafa.integrations",
    "vafa.insight",
    "vafa.api",
    "vafa.web",
    "vafa.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'vafa.sqlite3'}"
# Health checks cost a `SELECT 1` per request; turn them on where connections go stale.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600,
                                              conn_health_checks=_env_bool("VAFA_DB_HEALTH_CHECKS", False))}
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and _env_bool("VAFA_PG_PREPARE", True):
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

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve app static files without a collectstatic step
# Front-end packages come from npm at set-up (`make install`), served under static/vendor/.
NODE_MODULES = Path(os.environ.get("VAFA_NODE_MODULES", BASE_DIR.parent / "node_modules"))
STATICFILES_DIRS = [
    (f"vendor/{name}", NODE_MODULES / folder)
    for name, folder in [("htmx", "htmx.org/dist"), ("chartjs", "chart.js/dist"), ("vazirmatn", "vazirmatn")]
    if (NODE_MODULES / folder).is_dir()
]

# How many reverse proxies stand in front (they append to X-Forwarded-For); 0 = none.
TRUSTED_PROXIES = int(os.environ.get("VAFA_TRUSTED_PROXIES", "0"))

if TRUSTED_PROXIES:
    # The proxy terminates TLS and says so; Django then knows the request was HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Browsers keep to HTTPS for this long once they have seen the site (0: not sent).
SECURE_HSTS_SECONDS = int(os.environ.get("VAFA_HSTS_SECONDS", "0"))

LOGIN_URL = "manage:login"
LOGIN_REDIRECT_URL = "manage:home"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("VAFA_SESSION_SECONDS", 8 * 3600))  # a working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEV_MODE
CSRF_COOKIE_SECURE = not DEV_MODE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Background tasks (django-tasks): in the database by default, so `vafa worker` runs them with
# nothing else installed. A bigger installation moves them to Redis with RQ, e.g.
# VAFA_TASKS_BACKEND=django_tasks_rq.RQBackend VAFA_EXTRA_APPS=django_rq,django_tasks_rq
# VAFA_RQ_URL=redis://127.0.0.1:6379/0, and runs `vafa rqworker --job-class django_tasks_rq.Job`
# beside `vafa worker` (which then schedules the jobs and handles the outbox). See the README.
TASKS = {"default": {"BACKEND": os.environ.get("VAFA_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
                     "QUEUES": ["default"]}}
INSTALLED_APPS += [app for app in os.environ.get("VAFA_EXTRA_APPS", "").split(",") if app.strip()]
if os.environ.get("VAFA_RQ_URL"):
    RQ_QUEUES = {"default": {"URL": os.environ["VAFA_RQ_URL"], "DEFAULT_TIMEOUT": 600}}

SMS_BACKEND = os.environ.get("VAFA_SMS_BACKEND", "console")
SMS_OUTBOX = Path(os.environ.get("VAFA_SMS_OUTBOX", VAR_DIR / "outbox.jsonl"))
# Credentials of a real gateway (kavenegar, smsir, ghasedak); unused by the console backend.
SMS_API_KEY = os.environ.get("VAFA_SMS_API_KEY", "")
SMS_SENDER = os.environ.get("VAFA_SMS_SENDER", "")  # the line number messages are sent from
SMS_BASE_URL = os.environ.get("VAFA_SMS_BASE_URL", "")  # empty: the gateway's own address
SMS_TIMEOUT = float(os.environ.get("VAFA_SMS_TIMEOUT", "10"))  # seconds
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("VAFA_LOG_LEVEL", "WARNING")},
}

# One-time login codes (vafa/members/otp.py has the defaults); e.g. VAFA_OTP_TTL_SECONDS=180.
for _name in ("TTL_SECONDS", "RESEND_SECONDS", "PHONE_PER_HOUR", "IP_PER_HOUR", "MAX_ATTEMPTS",
              "PHONE_MAX_FAILURES", "LOCK_SECONDS"):
    if os.environ.get(f"VAFA_OTP_{_name}"):
        globals()[f"VAFA_OTP_{_name}"] = int(os.environ[f"VAFA_OTP_{_name}"])
