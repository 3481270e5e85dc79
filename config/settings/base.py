"""Settings shared by every environment, read from the environment or a `.env` file."""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "core.admin_apps.BillableAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_countries",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "core",
    "sales",
    "projects",
    "helpdesk",
    "timesheets",
    "invoicing",
    "api",
    "demo",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.SessionRefreshMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Runs the request again when its transaction lost a lock race; 503 if it keeps losing.
    "core.middleware.ConflictRetryMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "core.context_processors.app_context",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for the writer lock instead of failing at once under concurrent writes.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Covering indexes (Index(include=...)) are for PostgreSQL; SQLite builds the same
    # indexes without the included columns, which is all a small database needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a login while the username + address is locked out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend that also reads the user's role groups (one query for both).
    "core.auth.RolesModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="Europe/Brussels")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))

LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "core:login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
# Idle expiry: the age counts from the last request, give or take SESSION_REFRESH_SECONDS
# (core.middleware.SessionRefreshMiddleware), which spares a database write per page.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # pages send the token from the form or hx-headers, never JS
CSRF_COOKIE_SAMESITE = "Lax"

# Login throttling (django-axes). After AXES_FAILURE_LIMIT failed logins for one
# username from one address, that pair is refused (HTTP 429) for AXES_COOLOFF_MINUTES;
# a success resets the count. Unlock early with `manage.py axes_reset` (everything),
# `axes_reset_username <name>` or `axes_reset_ip <address>`.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.middleware.client_ip"
AXES_USERNAME_CALLABLE = "core.auth.throttle_username"  # bounded to a username's length
# Reverse proxies in front of the app that append to X-Forwarded-For (0: none, use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Response headers (core.middleware.SecurityHeadersMiddleware and SecurityMiddleware).
# Only our own assets: no CDN, no inline script, no <style> element. A `style="…"`
# attribute is allowed (style-src-attr, CSP level 3): the pages size bars and grids with
# it, and an attribute cannot hold a selector, so it cannot read the page the way an
# injected <style> can. Browsers without level 3 fall back to style-src and block it.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# The seller printed on every invoice: these only seed the Company record on first
# start (core.models.Company); after that admins edit it in Configuration > Company.
COMPANY_NAME = env("COMPANY_NAME", default="Billable Support Ltd")
COMPANY_STREET = env("COMPANY_STREET", default="Rue du Service 1")
COMPANY_STREET2 = env("COMPANY_STREET2", default="")
COMPANY_ZIP = env("COMPANY_ZIP", default="1000")
COMPANY_CITY = env("COMPANY_CITY", default="Brussels")
COMPANY_COUNTRY = env("COMPANY_COUNTRY", default="BE")
COMPANY_VAT = env("COMPANY_VAT", default="BE0123456749")
COMPANY_REGISTRATION = env("COMPANY_REGISTRATION", default="0123456749")
COMPANY_PEPPOL_SCHEME = env("COMPANY_PEPPOL_SCHEME", default="0208")
COMPANY_PEPPOL_ID = env("COMPANY_PEPPOL_ID", default="0123456749")
# A Belgian IBAN python-stdnum accepts: its bank code (096, Belfius) is one it knows.
COMPANY_IBAN = env("COMPANY_IBAN", default="BE71096123456769")
COMPANY_BIC = env("COMPANY_BIC", default="GKCCBEBB")
COMPANY_EMAIL = env("COMPANY_EMAIL", default="billing@billable.example")
COMPANY_PHONE = env("COMPANY_PHONE", default="+32 2 555 01 00")
CURRENCY = env("CURRENCY", default="EUR")

# Development prints mail to the console, attachments by name and size only
# (core/mail.py; Django's console backend prints each invoice PDF as base64).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="core.mail.ConsoleEmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=COMPANY_EMAIL)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's three parsers, with a JSON one that refuses too deep nesting (api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Billable API",
    "DESCRIPTION": "Helpdesk hours, sale orders and invoices.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema tells an outsider every operation and field: signed-in callers only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# One handler, on the root logger: Django's own "django" logger gets none of its own
# (it would print each of its lines a second time) and propagates to it.
# `django.server` (runserver's request lines) keeps Django's handler, as Django intends.
LOG_LEVEL = env("LOG_LEVEL", default="WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django": {"handlers": [], "level": LOG_LEVEL, "propagate": True}},
}

# Background work and scale-out (issue 9; docs in README "Deploying").
# Celery on Redis: PDFs, invoice mail and the billing run. With no broker (the
# newcomer's default) every task runs in-process, after the commit that queued it.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Tasks are idempotent, so a task is acknowledged only once done: a worker that dies
# mid-task leaves it to be delivered again rather than lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Outgoing mail for invoices, e.g. EMAIL_URL=smtp+tls://user:password@smtp.example:587
if env("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))

# Keep database connections across requests (a new PostgreSQL connection forks a
# server process); checked before reuse. CONN_MAX_AGE=0 closes them after each request.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL: bind parameters on the server and prepare a statement the fifth time a
# connection runs it, so a page's repeated queries skip parsing and planning (the
# planner costs more than the execution of most of them). DB_PREPARED_STATEMENTS=0 for
# a transaction-pooling proxy (PgBouncer) that cannot keep prepared statements.
if DATABASES["default"]["ENGINE"].endswith("postgresql") and env.bool(
    "DB_PREPARED_STATEMENTS", default=True
):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )

# Optional read replica: list and report selectors inside `core.routers.use_replica()`
# read from it; every write, lock and number stays on "default" (core/routers.py).
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["core.routers.PrimaryReplicaRouter"]

# A load balancer probes /healthz over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Render (and mail) the PDF of an invoice once its validation commits.
INVOICE_PDF_ON_VALIDATE = env.bool("INVOICE_PDF_ON_VALIDATE", default=True)

# Invoice mail outbox (invoicing/services/mail.py): every pending mail that is due is
# sent by `send_pending_invoice_mail` every minute (Celery beat; with no broker, cron
# `manage.py send_pending_mail`); a mail is failed after this many attempts.
INVOICE_MAIL_MAX_ATTEMPTS = env.int("INVOICE_MAIL_MAX_ATTEMPTS", default=8)
CELERY_BEAT_SCHEDULE = {
    "send-pending-invoice-mail": {
        "task": "invoicing.tasks.send_pending_invoice_mail",
        "schedule": 60.0,
        "options": {"expires": 55},  # runs queued during an outage do not pile up
    },
    "send-pending-peppol": {
        "task": "invoicing.tasks.send_pending_peppol",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}

# Peppol (invoicing/peppol.py, README "Deploying: Peppol"): the dotted path of the sender
# that hands each posted invoice's UBL to an access point; empty = Peppol off. Billable's
# own backend drops `<number>.xml` into PEPPOL_DROP_DIR for an access point that watches
# the folder. Failed hand-overs are retried every minute (`send_pending_peppol`; cron
# `manage.py send_pending_peppol` with no broker) up to PEPPOL_MAX_ATTEMPTS times.
PEPPOL_SENDER = env("PEPPOL_SENDER", default="") or None
PEPPOL_DROP_DIR = env("PEPPOL_DROP_DIR", default="")
PEPPOL_MAX_ATTEMPTS = env.int("PEPPOL_MAX_ATTEMPTS", default=8)
