"""Settings for the campaign site, read from environment variables.

Development (the default) runs on SQLite with tasks executed in-process and
email printed to the terminal. ``CAMPAIGN_ENV=production`` turns on every
deployment safeguard and refuses to start without ``SECRET_KEY``,
``DATABASE_URL`` and ``CELERY_BROKER_URL`` (or ``REDIS_URL``).
"""

import hmac
import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when CAMPAIGN_ENV=production.")
    return value


PRODUCTION = env_str("CAMPAIGN_ENV", "development") == "production"
DEBUG = False if PRODUCTION else env_bool("DEBUG", True)
# Secure cookies, HSTS and the HTTPS redirect; off only to run the production
# set on plain http://127.0.0.1 (make stack, bench).
HTTPS = env_bool("HTTPS", PRODUCTION)

if PRODUCTION:
    SECRET_KEY = env_required("SECRET_KEY")
    DATABASE_URL = env_required("DATABASE_URL")
    REDIS_URL = env_str("REDIS_URL")
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or env_required("REDIS_URL")
else:
    SECRET_KEY = env_str("SECRET_KEY", "development-only-key-never-use-in-production")
    DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    REDIS_URL = env_str("REDIS_URL")
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Absolute base for links in emails (workers have no request to build them from).
# Production has no default: a wrong one sends every confirmation link to
# http://127.0.0.1:8000, where no supporter can confirm.
SITE_URL = env_str("SITE_URL", "" if PRODUCTION else "http://127.0.0.1:8000")
if PRODUCTION and not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        "SITE_URL must be set when CAMPAIGN_ENV=production: the site's public "
        "address, such as https://campaign.example.org, which every link in "
        f"an email starts with (got {SITE_URL!r})."
    )
SITE_URL = SITE_URL.rstrip("/")
SITE_NAME = env_str("SITE_NAME", "Campaign")

INSTALLED_APPS = [
    # Before the admin, as it requires: per-language columns for what
    # campaigners write (see campaign/translation.py and docs/languages.md).
    "modeltranslation",
    "campaign.apps.CampaignAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # sitemap.xml, with each page's language versions (statements/sitemaps.py).
    "django.contrib.sitemaps",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "anymail",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "statements",
    # The public read-only JSON API at /api/v1/.
    "statements.api",
    "statements.pages",
    "actions",
    # The features of calls to action, each an app of its own (its models,
    # admin, tasks and migrations); see docs/architecture.md.
    "actions.outbox",
    "actions.suppressions",
    "actions.consent",
    "actions.abuse",
    "actions.followups",
    "actions.exports",
    "actions.deliverypacks",
    "actions.privacy",
    "actions.revisions",
    "actions.timeline",
    "actions.receipts",
    "actions.letters",
    "actions.embed",
    # Share images, the page's share meta and share links (docs/architecture.md).
    "statements.sharing",
    "staff",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "campaign.csp.NonceMiddleware",
    "actions.abuse.stamp.FormStampMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language from its URL prefix (/fr/...), English without one;
    # the admin's from the staff member's browser (campaign.locale).
    "django.middleware.locale.LocaleMiddleware",
    "campaign.locale.AdminLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "staff.sessions.AdminIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "campaign.urls"
WSGI_APPLICATION = "campaign.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                # After Django's: templates get a placeholder that the
                # middleware swaps for the nonce, so cached pages never keep one.
                "campaign.csp.nonce_placeholder",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "campaign.context_processors.site",
            ],
        },
    },
]

# A kept connection (CONN_MAX_AGE) that died, as in a database restart, is
# found by a health check before a request uses it and replaced; workers drop
# theirs after a task that met it (campaign/celery.py). During an outage pages
# answer 503 (campaign.views.server_error).
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}

# Redis on the request path (the cache, rate limits, handing tasks to the
# broker) fails fast: short timeouts, in seconds, and a circuit breaker
# (campaign/redisbreaker.py): after a failure, a process skips that Redis's
# calls for REDIS_BREAKER_SECONDS, then tries one. 0 turns the breaker off.
REDIS_CONNECT_TIMEOUT = float(env_str("REDIS_CONNECT_TIMEOUT", "0.25"))
REDIS_TIMEOUT = float(env_str("REDIS_TIMEOUT", "0.5"))
REDIS_BREAKER_SECONDS = float(env_str("REDIS_BREAKER_SECONDS", "3"))

if REDIS_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "campaign.redisbreaker.BreakerRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "campaign",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_TIMEOUT,
            },
        },
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered public pages live a few seconds in each web process: no network hop,
# and a reload storm costs one render per process per interval.
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "pages",
    "TIMEOUT": 5,
    "OPTIONS": {"MAX_ENTRIES": 2000},
}
# The signing form's markup (250 countries) is rendered once per process.
CACHES["template_fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "template_fragments",
    "TIMEOUT": 3600,
}
# Rows read on every signature that rarely change (a petition and its
# statement), kept a few seconds in each process.
CACHES["rows"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "rows",
    "TIMEOUT": 5,
}
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 5)
COUNT_CACHE_SECONDS = env_int("COUNT_CACHE_SECONDS", 5)

# Fonts of the share images (statements.sharing), by the script of the text
# drawn: the first file that exists is used, then the Latin ones. Debian and
# Ubuntu ship these in fonts-noto-core and fonts-dejavu-core; a machine with
# none of them still gets an image in Pillow's own font (Latin only).
# SHARE_IMAGE_FONTS_LATIN (used for any other script), _ARABIC and _MYANMAR
# take comma-separated paths, e.g. an organisation's own font first.
_NOTO = "/usr/share/fonts/truetype/noto/"
_DEJAVU = "/usr/share/fonts/truetype/dejavu/"
SHARE_IMAGE_FONTS: dict[str, list[str]] = {
    "latin": env_list(
        "SHARE_IMAGE_FONTS_LATIN",
        [_NOTO + "NotoSans-Bold.ttf", _DEJAVU + "DejaVuSans-Bold.ttf"],
    ),
    "arabic": env_list(
        "SHARE_IMAGE_FONTS_ARABIC",
        [
            _NOTO + "NotoNaskhArabic-Bold.ttf",
            _NOTO + "NotoSansArabic-Bold.ttf",
            _DEJAVU + "DejaVuSans-Bold.ttf",
        ],
    ),
    "myanmar": env_list(
        "SHARE_IMAGE_FONTS_MYANMAR",
        [_NOTO + "NotoSansMyanmar-Bold.ttf", _NOTO + "NotoSerifMyanmar-Bold.ttf"],
    ),
}

# django-axes counts failed logins before any other backend checks a password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

_VALIDATORS = "django.contrib.auth.password_validation."
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": _VALIDATORS + "UserAttributeSimilarityValidator"},
    {"NAME": _VALIDATORS + "MinimumLengthValidator"},
    {"NAME": _VALIDATORS + "CommonPasswordValidator"},
    {"NAME": _VALIDATORS + "NumericPasswordValidator"},
]

# The original language: what campaigners write first, what the public URLs
# without a prefix serve, and what a page not yet translated falls back to.
LANGUAGE_CODE = "en"
# Adding one: docs/languages.md (three steps).
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("ar", _("Arabic")),
    ("my", _("Burmese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# django-modeltranslation: one column per language for each translated field;
# an empty one reads as the original's.
MODELTRANSLATION_DEFAULT_LANGUAGE = LANGUAGE_CODE
MODELTRANSLATION_FALLBACK_LANGUAGES = (LANGUAGE_CODE,)
# Text given without a language (a script, a test, a fixture) is the original.
MODELTRANSLATION_AUTO_POPULATE = "default"
# Times are stored in UTC; the admin shows them in this zone, named (an IANA
# name such as Europe/Berlin). Exports and their date filters stay in UTC.
TIME_ZONE = env_str("TIME_ZONE", "UTC")
# DATETIME_FORMAT with the zone's abbreviation ("T"); see campaign/formats/.
FORMAT_MODULE_PATH = ["campaign.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Development serves static files straight from static/ without collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Export files: private, built by a worker on one host and downloaded
    # through a web process on another, so every host must see the same
    # storage: a shared file system (MEDIA_ROOT/exports) or object storage
    # through django-storages (docs/operations.md).
    # Written readable by the site's user only (0600, in 0700 directories).
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: printed to the terminal in development so the confirmation link can be
# opened; SMTP otherwise.
_MAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "campaign.mail.ReadableConsoleBackend",
)
# Seconds each SMTP step (connect, a command, its answer) may take.
_SMTP_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
MAILERS = {
    "default": {
        "BACKEND": _MAIL_BACKEND,
        "OPTIONS": {
            "host": env_str("EMAIL_HOST", "localhost"),
            "port": env_int("EMAIL_PORT", 25),
            "username": env_str("EMAIL_HOST_USER") or None,
            "password": env_str("EMAIL_HOST_PASSWORD") or None,
            "use_tls": env_bool("EMAIL_USE_TLS"),
            "timeout": _SMTP_TIMEOUT,
        }
        if _MAIL_BACKEND.endswith("smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Campaign <campaign@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Bounces and complaints. Email still goes out over SMTP (above); a mail
# provider's tracking webhook reports hard bounces and spam complaints, which go
# on the suppression list (actions.suppressions). Mailgun is the provider
# supported: every event carries an HMAC-SHA256 signature made with the
# account's "HTTP webhook signing key", and the webhook refuses events without
# a valid one. Mailgun signs the event's timestamp and token but not the event
# itself, so ANYMAIL_WEBHOOK_SECRET ("user:password") is required: give Mailgun
# https://user:password@<host>/anymail/mailgun/tracking/ as the webhook URL.
# The URL exists only when ANYMAIL_PROVIDER is set.
ANYMAIL_PROVIDER = env_str("ANYMAIL_PROVIDER").strip().lower()
ANYMAIL: dict[str, str] = {}
if ANYMAIL_PROVIDER == "mailgun":
    ANYMAIL["MAILGUN_WEBHOOK_SIGNING_KEY"] = env_str(
        "ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY"
    )
    if not ANYMAIL["MAILGUN_WEBHOOK_SIGNING_KEY"]:
        raise ImproperlyConfigured(
            "ANYMAIL_PROVIDER=mailgun needs ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY."
        )
    # Mailgun signs only a timestamp and a token, so the password is what
    # stops a forged event body: it is required.
    ANYMAIL["WEBHOOK_SECRET"] = env_str("ANYMAIL_WEBHOOK_SECRET")
    if ":" not in ANYMAIL["WEBHOOK_SECRET"]:
        raise ImproperlyConfigured(
            "ANYMAIL_PROVIDER=mailgun needs ANYMAIL_WEBHOOK_SECRET, as "
            "'user:password' (also in the webhook URL given to Mailgun)."
        )
elif ANYMAIL_PROVIDER:
    raise ImproperlyConfigured(
        f"ANYMAIL_PROVIDER={ANYMAIL_PROVIDER!r} is not supported; use 'mailgun'."
    )
# A signed event is accepted once, and only this long after it was signed.
WEBHOOK_MAX_AGE_SECONDS = env_int("WEBHOOK_MAX_AGE_SECONDS", 600)

# Signing and confirmation. On PostgreSQL a new signature, its confirmation
# email and its consent record go in one statement (actions.insert); 0 turns
# that off for the plain inserts in one transaction.
SIGNING_SINGLE_STATEMENT = env_bool("SIGNING_SINGLE_STATEMENT", True)
CONFIRMATION_MAX_AGE = env_int("CONFIRMATION_MAX_AGE", 14 * 24 * 3600)
# The thanks page says "you among them" only through the link the confirmation
# leads to, for this long: an address copied from the browser and shared later
# tells its readers nothing about who signed.
THANKS_LINK_MAX_AGE = env_int("THANKS_LINK_MAX_AGE", 24 * 3600)
# Signature receipts (actions.receipts). Leaves are keyed with RECEIPT_KEY, or
# a key derived from SECRET_KEY: set it before rotating SECRET_KEY, or
# verify_receipts can no longer recompute the committed days.
RECEIPT_KEY = env_str("RECEIPT_KEY")
RECEIPT_LINK_MAX_AGE = env_int("RECEIPT_LINK_MAX_AGE", 365 * 24 * 3600)
MAX_EMAILS_PER_SIGNATURE = 5

# The outbox. A queued row whose task never ran (broker down at signing time)
# is re-enqueued by beat every OUTBOX_SWEEP_INTERVAL s.
OUTBOX_REQUEUE_AFTER = env_int("OUTBOX_REQUEUE_AFTER", 60)
OUTBOX_SWEEP_INTERVAL = env_int("OUTBOX_SWEEP_INTERVAL", 30)
OUTBOX_MAX_BACKOFF = env_int("OUTBOX_MAX_BACKOFF", 600)
# A worker sending a row holds a lease on it for OUTBOX_LEASE s, which a thread
# of the worker renews while the send lasts (actions/outbox/lease.py). The
# sweep takes back a row whose lease ran out (its worker died): within
# OUTBOX_LEASE + OUTBOX_SWEEP_INTERVAL s (90 s) of the death.
OUTBOX_LEASE = env_int("OUTBOX_LEASE", 60)
# A send that lasts longer (a server that trickles its answers, each within
# EMAIL_TIMEOUT) has its connection cut and its row queued again: a hung SMTP
# session never keeps a row. Each SMTP step may take EMAIL_TIMEOUT, so longer.
OUTBOX_SEND_TIMEOUT = env_int("OUTBOX_SEND_TIMEOUT", 60)
if OUTBOX_SEND_TIMEOUT <= _SMTP_TIMEOUT:
    raise ImproperlyConfigured("OUTBOX_SEND_TIMEOUT must exceed EMAIL_TIMEOUT.")

# Signature exports. Files built in the background are private: they live under
# MEDIA_ROOT/exports, which no URL serves, and leave only through a view that
# checks the permission and a signed link. Do not serve MEDIA_ROOT publicly.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Above this many rows an admin export is built by a worker into a file.
EXPORT_MAX_ROWS_PER_REQUEST = env_int("EXPORT_MAX_ROWS_PER_REQUEST", 50_000)
EXPORT_LINK_MAX_AGE = env_int("EXPORT_LINK_MAX_AGE", 3600)
EXPORT_FILE_MAX_AGE = env_int("EXPORT_FILE_MAX_AGE", 24 * 3600)
# Delivery packs (PDF) share the exports' storage, link age and file age. The
# font must cover the signers' scripts; ReportLab's Vera (Latin) is used when
# this file is missing.
DELIVERY_PACK_FONT = os.environ.get(
    "DELIVERY_PACK_FONT", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
)

# Follow-up emails. Workers send batches of deliveries, each over one SMTP
# connection, at most FOLLOW_UP_RATE emails/s across all bulk workers (0: no
# limit), with FOLLOW_UP_PARALLEL_BATCHES batches in flight per follow-up.
# Beat starts due follow-ups and goal milestones, queues days-after
# deliveries and puts back deliveries of a worker that died, every
# FOLLOW_UP_SWEEP_INTERVAL s.
FOLLOW_UP_RATE = env_int("FOLLOW_UP_RATE", 100)
FOLLOW_UP_BATCH_SIZE = env_int("FOLLOW_UP_BATCH_SIZE", 200)
FOLLOW_UP_PARALLEL_BATCHES = env_int("FOLLOW_UP_PARALLEL_BATCHES", 2)
FOLLOW_UP_SWEEP_INTERVAL = env_int("FOLLOW_UP_SWEEP_INTERVAL", 60)
FOLLOW_UP_STALE_SENDING_AFTER = env_int("FOLLOW_UP_STALE_SENDING_AFTER", 300)
FOLLOW_UP_MAX_ATTEMPTS = env_int("FOLLOW_UP_MAX_ATTEMPTS", 5)
# On PostgreSQL a delivery's sent mark is committed in the same instant as its
# email's end-of-data mark (see actions.followups.sending). Off: the commit is
# awaited first, a round trip in which a killed worker loses the email; kept
# as the baseline of bench/followup_kills.py.
FOLLOW_UP_PIPELINED_COMMIT = env_bool("FOLLOW_UP_PIPELINED_COMMIT", True)
# Letters (actions.letters.delivery) go on the bulk queue with the follow-ups'
# machinery and settings: FOLLOW_UP_RATE is the rate both share, and
# FOLLOW_UP_BATCH_SIZE, FOLLOW_UP_STALE_SENDING_AFTER, FOLLOW_UP_MAX_ATTEMPTS
# and FOLLOW_UP_PIPELINED_COMMIT apply to letters too. Individual mode runs
# LETTER_PARALLEL_BATCHES batches at once; digest mode's digests are made at
# LETTER_DIGEST_HOUR (0-23, TIME_ZONE) or at the first beat run after it.
LETTER_PARALLEL_BATCHES = env_int("LETTER_PARALLEL_BATCHES", 2)
LETTER_DIGEST_HOUR = env_int("LETTER_DIGEST_HOUR", 8)
# Unsubscribe links stay valid this long: emails are read months later.
UNSUBSCRIBE_MAX_AGE = env_int("UNSUBSCRIBE_MAX_AGE", 2 * 365 * 24 * 3600)

# Petitions open and close, and scheduled statements are published, at their
# times by themselves: beat runs both schedules (actions.lifecycle,
# statements.services) every PETITION_SCHEDULE_INTERVAL s.
PETITION_SCHEDULE_INTERVAL = env_int("PETITION_SCHEDULE_INTERVAL", 60)

# Supporters' data. A link to a copy of it (and to erase it) works this long;
# an address gets at most this many such links a day.
DATA_LINK_MAX_AGE = env_int("DATA_LINK_MAX_AGE", 24 * 3600)
DATA_LINKS_PER_DAY = env_int("DATA_LINKS_PER_DAY", 3)
# One client (its keyed hash; see actions.abuse.clientlimits) asks at most
# this many times an hour for a data link, and for a confirmation sent again:
# a script cannot walk a list of addresses through these forms. 0: no limit.
CLIENT_DATA_REQUESTS_PER_HOUR = env_int("CLIENT_DATA_REQUESTS_PER_HOUR", 10)
CLIENT_RESENDS_PER_HOUR = env_int("CLIENT_RESENDS_PER_HOUR", 10)
# The daily retention job anonymises this many signatures per transaction.
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 1000)

# At-risk signers (sensitive petitions): a petition made sensitive without a
# retention period of its own gets this one; outside the organisation (a
# delivery pack) a country with fewer signatures than this is counted only
# among "other countries", so a small count cannot point at a person.
SENSITIVE_RETENTION_DAYS = env_int("SENSITIVE_RETENTION_DAYS", 90)
PUBLIC_COUNTRY_COUNT_MIN = env_int("PUBLIC_COUNTRY_COUNT_MIN", 10)

# Celery. With no broker configured, tasks run in-process (development).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# With tasks in-process there is no beat either: the development server runs
# the beat schedule in a thread of its own (campaign/devbeat.py). Never in
# production, never beside a broker (run `celery beat` there); 0 turns it off.
RUN_BEAT_IN_PROCESS = (
    not PRODUCTION
    and CELERY_TASK_ALWAYS_EAGER
    and env_bool("RUN_BEAT_IN_PROCESS", True)
)
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The worker's CPU priority below the web's (campaign/celery.py); 0 on a
# machine of its own.
WORKER_NICE = env_int("WORKER_NICE", 10)
CELERY_TASK_IGNORE_RESULT = True
# Celery closes the database connection after every task unless told to reuse
# it: a new PostgreSQL backend per email costs more than sending the email.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
# Worker memory (docs/operations.md, "Worker memory"): a pool process is
# replaced by a fresh one after this many tasks, or after a task that left it
# above this many KiB (an idle one holds about 90 MB), so a leak or one big
# delivery pack cannot grow a worker until the machine swaps. 0: no limit.
CELERY_WORKER_MAX_TASKS_PER_CHILD = (
    env_int("WORKER_MAX_TASKS_PER_CHILD", 10_000) or None
)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = (
    env_int("WORKER_MAX_MEMORY_PER_CHILD", 400_000) or None
)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "actions.tasks.send_email": {"queue": "transactional"},
    "actions.tasks.sign_again": {"queue": "transactional"},
    # Bulk email has a queue and a worker of its own (Procfile: bulk), so a
    # confirmation never waits behind a follow-up to 100,000 people.
    "actions.tasks.start_follow_up": {"queue": "bulk"},
    "actions.tasks.send_follow_up_batch": {"queue": "bulk"},
    "actions.tasks.run_follow_ups": {"queue": "bulk"},
    "actions.tasks.send_letter_batch": {"queue": "bulk"},
    "actions.tasks.send_letter_digest": {"queue": "bulk"},
    "actions.tasks.run_letters": {"queue": "bulk"},
}
# Signing must not wait on a broker that is down: fail fast, the outbox sweeper
# enqueues the row later.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than any retry countdown, so a delayed task is not redelivered early.
    "visibility_timeout": 2 * 3600,
    # A publish from a request waits no longer than a cache call
    # (REDIS_TIMEOUT); the worker and beat wait longer (campaign/celery.py).
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_TIMEOUT,
    # Publishing gives up at once when Redis is down (the sweeper catches up);
    # the worker's consumer reconnects under its own retry settings.
    "max_retries": 0,
}
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-emails": {
        "task": "actions.tasks.requeue_stale_emails",
        "schedule": float(OUTBOX_SWEEP_INTERVAL),
    },
    "delete-expired-exports": {
        "task": "actions.tasks.delete_expired_exports",
        "schedule": 3600.0,
    },
    "run-petition-schedule": {
        "task": "actions.tasks.run_petition_schedule",
        "schedule": float(PETITION_SCHEDULE_INTERVAL),
        "options": {"expires": float(PETITION_SCHEDULE_INTERVAL)},
    },
    "delete-expired-delivery-packs": {
        "task": "actions.tasks.delete_expired_delivery_packs",
        "schedule": 3600.0,
    },
    "publish-scheduled-statements": {
        "task": "statements.tasks.publish_scheduled_statements",
        "schedule": float(PETITION_SCHEDULE_INTERVAL),
        "options": {"expires": float(PETITION_SCHEDULE_INTERVAL)},
    },
    "anonymise-expired-signatures": {
        "task": "actions.tasks.anonymise_expired_signatures",
        "schedule": 24 * 3600.0,
    },
    "flag-busy-sources": {
        "task": "actions.tasks.flag_busy_sources",
        "schedule": 3600.0,
    },
    "commit-receipt-roots": {
        "task": "actions.tasks.commit_receipt_roots",
        "schedule": 600.0,
        "options": {"expires": 600.0},
    },
    "run-follow-ups": {
        "task": "actions.tasks.run_follow_ups",
        "schedule": float(FOLLOW_UP_SWEEP_INTERVAL),
        # A backlog of sweeps behind a stopped bulk worker is worth one run.
        "options": {"expires": float(FOLLOW_UP_SWEEP_INTERVAL)},
    },
    "run-letters": {
        "task": "actions.tasks.run_letters",
        "schedule": float(FOLLOW_UP_SWEEP_INTERVAL),
        "options": {"expires": float(FOLLOW_UP_SWEEP_INTERVAL)},
    },
}

# The client's address (rate limits, admin lockout) is read from X-Forwarded-For
# only as far as this many proxies of ours wrote it; 0 means REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Abuse controls on signing (actions.abuse). Each petition may override the
# limits in the admin; 0 turns a check off. On the block list or over the
# sustained (hourly) limit, a signature is kept as suspect: never counted, never
# emailed, and the supporter sees the usual page. In the honeypot, too fast or
# over the burst limit, the supporter is asked for one more step (see below).
ABUSE_BURST_LIMIT = env_int("ABUSE_BURST_LIMIT", 3)
ABUSE_BURST_SECONDS = env_int("ABUSE_BURST_SECONDS", 60)
ABUSE_SUSTAINED_LIMIT = env_int("ABUSE_SUSTAINED_LIMIT", 10)
ABUSE_SUSTAINED_SECONDS = env_int("ABUSE_SUSTAINED_SECONDS", 3600)
ABUSE_MIN_FILL_SECONDS = env_int("ABUSE_MIN_FILL_SECONDS", 3)
# A form's time stamp is taken for this long after its page was served.
ABUSE_STAMP_MAX_AGE_SECONDS = env_int("ABUSE_STAMP_MAX_AGE_SECONDS", 24 * 3600)
# A weak signal (too fast, the honeypot, over the burst limit, a stale or
# foreign stamp) asks for one more step: a proof of work of this many leading
# zero bits (about a second in a browser), or, without JavaScript, a button
# that passes this many seconds after the step was shown. Its challenge
# expires after ABUSE_STEP_MAX_AGE_SECONDS. See actions.abuse.challenge.
ABUSE_POW_DIFFICULTY = env_int("ABUSE_POW_DIFFICULTY", 14)
ABUSE_STEP_WAIT_SECONDS = env_int("ABUSE_STEP_WAIT_SECONDS", 5)
ABUSE_STEP_MAX_AGE_SECONDS = env_int("ABUSE_STEP_MAX_AGE_SECONDS", 1800)
# At most this many suspect signatures (strong signals: block list, over the
# hourly limit) are stored per client and petition in ABUSE_SUSPECT_CAP_SECONDS;
# beyond, an attempt is dropped (the page looks the same). 0: no cap.
ABUSE_SUSPECT_CAP = env_int("ABUSE_SUSPECT_CAP", 20)
ABUSE_SUSPECT_CAP_SECONDS = env_int("ABUSE_SUSPECT_CAP_SECONDS", 24 * 3600)
# The hourly job flags a client or an email domain with more signatures than
# this in one hour on one petition; big webmail domains are never flagged.
ABUSE_FLAG_THRESHOLD = env_int("ABUSE_FLAG_THRESHOLD", 25)
ABUSE_FLAG_LOOKBACK_HOURS = env_int("ABUSE_FLAG_LOOKBACK_HOURS", 3)
ABUSE_FLAG_IGNORED_DOMAINS = env_list(
    "ABUSE_FLAG_IGNORED_DOMAINS",
    [
        "gmail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "protonmail.com",
        "proton.me",
        "gmx.de",
        "web.de",
        "orange.fr",
        "aol.com",
        "mail.ru",
        "yandex.ru",
        "qq.com",
    ],
)
# Each web process reads the block list again after this many seconds.
ABUSE_BLOCKLIST_CACHE_SECONDS = env_int("ABUSE_BLOCKLIST_CACHE_SECONDS", 5)
# Client addresses are stored only as an HMAC-SHA256 under this key. IPv4 has
# few enough addresses to try them all, so the hash is as private as the key:
# set it apart from SECRET_KEY to rotate one without the other.
CLIENT_HASH_KEY = (
    env_str("CLIENT_HASH_KEY")
    or hmac.new(SECRET_KEY.encode(), b"campaign.client-hash", "sha256").hexdigest()
)

# Admin: every staff login needs a password and a TOTP code (django-otp); an
# address with too many failed logins is locked out for a while (django-axes).
OTP_TOTP_ISSUER = SITE_NAME
# Failures count per client (an IPv6 client by its /64) and, apart, per account.
AXES_CLIENT_IP_CALLABLE = "staff.lockout.lockout_address"
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("ADMIN_LOCKOUT_HOURS", 1)
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_VERBOSE = False
# A staff session ends after this long without an admin request (see
# staff.sessions); public pages never set or touch a session.
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_HOURS", 8) * 60 * 60

# Security. Public pages run no inline script. Every HTML response carries a
# fresh nonce that templates get through a placeholder (see campaign/csp.py).
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# The admin (every path under /admin/) runs its own widgets' inline styles.
ADMIN_CSP = SECURE_CSP | {"style-src": [CSP.SELF, CSP.UNSAFE_INLINE]}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
