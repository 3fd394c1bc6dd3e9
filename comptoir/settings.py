"""Django settings, read from the environment (every variable is listed in docs/configuration.md)."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("COMPTOIR_DATA_DIR", Path.cwd() / "data")).resolve()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


DEBUG = env_bool("COMPTOIR_DEBUG", False)
# The embedded default generates and keeps a secret in the data directory so that a first
# start works without configuration; production sets COMPTOIR_SECRET_KEY.
SECRET_KEY = os.environ.get("COMPTOIR_SECRET_KEY", "")
if not SECRET_KEY:
    _secret_file = DATA_DIR / "secret_key"
    if _secret_file.exists():
        SECRET_KEY = _secret_file.read_text().strip()
    else:
        import secrets

        SECRET_KEY = secrets.token_urlsafe(50)
        try:
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            _secret_file.write_text(SECRET_KEY)
            _secret_file.chmod(0o600)
        except OSError:
            pass

ALLOWED_HOSTS = [h for h in os.environ.get("COMPTOIR_ALLOWED_HOSTS", "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("COMPTOIR_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]
# The public URL is used to build links in emails.
PUBLIC_URL = os.environ.get("COMPTOIR_PUBLIC_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "anymail",
    "django_tasks",
    "django_tasks_db",
    "comptoir.core",
    "comptoir.agents",
    "comptoir.customers",
    "comptoir.conversations",
    "comptoir.mail",
    "comptoir.messaging",
    "comptoir.campaigns",
    "comptoir.consents",
    "comptoir.teams",
    "comptoir.sla",
    "comptoir.privacy",
    "comptoir.sorting",
    "comptoir.surveys",
    "comptoir.answers",
    "comptoir.collaboration",
    "comptoir.escalations",
    "comptoir.routing",
    "comptoir.insights",
    "comptoir.sms",
    "comptoir.letters",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "comptoir.routing.middleware.AgentPresenceMiddleware",
    "comptoir.routing.middleware.OutsiderGateMiddleware",
]

ROOT_URLCONF = "comptoir.urls"
ASGI_APPLICATION = "comptoir.asgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'comptoir.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default: any command (migrate, mail-in…) works on a fresh data directory.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web, worker and mail-in roles read while one of them writes; IMMEDIATE
    # transactions avoid "database is locked" upgrades; synchronous=FULL makes a commit
    # durable before we acknowledge a message to a sending server.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;"
        ),
    }
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    if env_bool("COMPTOIR_DB_POOL", False):
        DATABASES["default"]["OPTIONS"]["pool"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "agents.Agent"
LOGIN_URL = "agents:login"
LOGIN_REDIRECT_URL = "conversations:inbox"
LOGOUT_REDIRECT_URL = "agents:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("COMPTOIR_TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Static files are served from the package by WhiteNoise (finders); a deployment that runs
# collectstatic sets COMPTOIR_STATIC_ROOT.
STATIC_ROOT = os.environ.get("COMPTOIR_STATIC_ROOT") or None
# The project-wide CSS and vendored htmx live beside settings.py, not in an app.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("COMPTOIR_MEDIA_DIR", DATA_DIR / "media"))

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag instead
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("COMPTOIR_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Several web processes share two things through Redis (COMPTOIR_REDIS_URL): the count of the
# public forms' rate limit per IP (Django's cache) and who is viewing or answering a
# conversation (Channels' layer). Without it, the embedded mode keeps both in memory: one
# process, one count, one layer.
REDIS_URL = os.environ.get("COMPTOIR_REDIS_URL", "")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"COMPTOIR_REDIS_URL must be a redis:// URL, not {REDIS_URL!r}")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "comptoir",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "comptoir"},
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "comptoir"}
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "COMPTOIR_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"
        ),
    }
}

# Outbound email goes through Django's email backends: SMTP by default, any django-anymail
# backend by setting COMPTOIR_EMAIL_BACKEND (e.g. anymail.backends.brevo.EmailBackend).
EMAIL_BACKEND = os.environ.get(
    "COMPTOIR_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("COMPTOIR_SMTP_HOST", "127.0.0.1")
# `comptoir serve --demo` runs a local outbox on this port and sends there, unless
# COMPTOIR_SMTP_HOST is set (comptoir/mail/outbox.py).
COMPTOIR_OUTBOX_PORT = env_int("COMPTOIR_OUTBOX_PORT", 2526)
EMAIL_PORT = env_int("COMPTOIR_SMTP_PORT", 25)
EMAIL_HOST_USER = os.environ.get("COMPTOIR_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("COMPTOIR_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("COMPTOIR_SMTP_STARTTLS", False)
EMAIL_TIMEOUT = env_int("COMPTOIR_SMTP_TIMEOUT", 30)
# django-anymail reads its provider keys from this dict: every ANYMAIL_<NAME> variable of the
# environment lands here as <NAME> (ANYMAIL_BREVO_API_KEY -> ANYMAIL["BREVO_API_KEY"]).
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_")
}

# The team's address: the From of every reply, and where customers write.
COMPTOIR_SUPPORT_ADDRESS = os.environ.get("COMPTOIR_SUPPORT_ADDRESS", "support@comptoir.localhost")
COMPTOIR_SUPPORT_NAME = os.environ.get("COMPTOIR_SUPPORT_NAME", "Service client")
# The company named in message templates, and its website (the base of their links).
COMPTOIR_COMPANY_NAME = os.environ.get("COMPTOIR_COMPANY_NAME", "Comptoir")
COMPTOIR_COMPANY_WEBSITE = os.environ.get("COMPTOIR_COMPANY_WEBSITE", "https://www.example.com")
# Inbound SMTP/LMTP listener.
COMPTOIR_MAIL_IN_HOST = os.environ.get("COMPTOIR_MAIL_IN_HOST", "127.0.0.1")
COMPTOIR_MAIL_IN_PORT = env_int("COMPTOIR_MAIL_IN_PORT", 2525)
COMPTOIR_MAIL_IN_LMTP = env_bool("COMPTOIR_MAIL_IN_LMTP", False)
# The name the listener greets with (220 <hostname>); defaults to the machine's FQDN.
COMPTOIR_MAIL_IN_HOSTNAME = os.environ.get("COMPTOIR_MAIL_IN_HOSTNAME") or None
COMPTOIR_MAIL_MAX_SIZE = env_int("COMPTOIR_MAIL_MAX_SIZE", 40 * 1024 * 1024)
COMPTOIR_ATTACHMENT_MAX_SIZE = env_int("COMPTOIR_ATTACHMENT_MAX_SIZE", 25 * 1024 * 1024)
# Loop protection: at most this many automatic answers to one sender per hour.
COMPTOIR_AUTOREPLY_PER_SENDER_PER_HOUR = env_int("COMPTOIR_AUTOREPLY_PER_SENDER_PER_HOUR", 3)
COMPTOIR_ACKNOWLEDGE_NEW_CONVERSATIONS = env_bool("COMPTOIR_ACKNOWLEDGE_NEW_CONVERSATIONS", True)
# IMAP mailboxes are configured in the database (admin); this is how often they are polled.
COMPTOIR_IMAP_POLL_SECONDS = env_int("COMPTOIR_IMAP_POLL_SECONDS", 60)
# SLA defaults when no policy matches, in business time: first response and resolution
# targets (0 hours: no resolution target); a warning this many minutes before a due time.
COMPTOIR_SLA_FIRST_RESPONSE_MINUTES = env_int("COMPTOIR_SLA_FIRST_RESPONSE_MINUTES", 120)
COMPTOIR_SLA_RESOLUTION_HOURS = env_int("COMPTOIR_SLA_RESOLUTION_HOURS", 27)
COMPTOIR_SLA_WARNING_MINUTES = env_int("COMPTOIR_SLA_WARNING_MINUTES", 30)
COMPTOIR_SLA_CHECK_SECONDS = env_int("COMPTOIR_SLA_CHECK_SECONDS", 60)
# The answer rate assumed by the acknowledgement's delay until a team has a week of history.
COMPTOIR_SLA_DEFAULT_ANSWERS_PER_HOUR = env_int("COMPTOIR_SLA_DEFAULT_ANSWERS_PER_HOUR", 4)
# Outbound retry policy: attempt n waits base * 2**(n-1) seconds, up to max attempts.
COMPTOIR_SEND_MAX_ATTEMPTS = env_int("COMPTOIR_SEND_MAX_ATTEMPTS", 6)
COMPTOIR_SEND_RETRY_BASE_SECONDS = env_int("COMPTOIR_SEND_RETRY_BASE_SECONDS", 60)
# A delivery still "sending" this long after it was claimed belongs to a worker that died
# mid-send: it is marked unconfirmed for a person to decide, never resent by itself.
COMPTOIR_SEND_STALE_SECONDS = env_int("COMPTOIR_SEND_STALE_SECONDS", 600)
# Sends per destination domain, shared by every worker through the cache (Redis when
# COMPTOIR_REDIS_URL is set): "gmail.com=20/s,orange.fr=600/m"; "*" is every other domain.
COMPTOIR_DOMAIN_RATES = os.environ.get("COMPTOIR_DOMAIN_RATES", "")
# Where the reports of undeliverable mail go: each send's envelope sender is this mailbox
# with a tag naming the delivery (VERP); empty means the support address.
COMPTOIR_BOUNCE_ADDRESS = os.environ.get("COMPTOIR_BOUNCE_ADDRESS", "")
# DKIM signing of the mail Comptoir sends over SMTP (a provider signs its own).
COMPTOIR_DKIM_DOMAIN = os.environ.get("COMPTOIR_DKIM_DOMAIN", "")
COMPTOIR_DKIM_SELECTOR = os.environ.get("COMPTOIR_DKIM_SELECTOR", "")
COMPTOIR_DKIM_PRIVATE_KEY = os.environ.get("COMPTOIR_DKIM_PRIVATE_KEY", "")
COMPTOIR_DKIM_PRIVATE_KEY_FILE = os.environ.get("COMPTOIR_DKIM_PRIVATE_KEY_FILE", "")
# The last field of the Feedback-ID header (Gmail's feedback loop): names the sender.
COMPTOIR_FEEDBACK_SENDER_ID = os.environ.get("COMPTOIR_FEEDBACK_SENDER_ID", "comptoir")
# Open pixel and click tracking in templated emails: the default of the company's tracking
# policy (messaging.TrackingPolicy, editable in the admin) until someone edits it.
COMPTOIR_TRACKING = env_bool("COMPTOIR_TRACKING", True)
# The key of the hashes that keep an erased person's addresses on the suppression list;
# changing it forgets those entries (see docs/privacy.md).
COMPTOIR_SUPPRESSION_HASH_KEY = os.environ.get("COMPTOIR_SUPPRESSION_HASH_KEY") or SECRET_KEY
# The marketing topics a customer can choose in the preference centre (comma-separated codes).
COMPTOIR_MARKETING_TOPICS = [
    t.strip()
    for t in os.environ.get("COMPTOIR_MARKETING_TOPICS", "offers,news,events").split(",")
    if t.strip()
]

# Satisfaction surveys (CSAT) after a resolution: on or off for the whole company; sent this
# many minutes after it (unless reopened meanwhile); at most one per customer in this many
# days; the link in the email works for this many days.
COMPTOIR_SURVEYS_ENABLED = env_bool("COMPTOIR_SURVEYS_ENABLED", True)
COMPTOIR_SURVEY_DELAY_MINUTES = env_int("COMPTOIR_SURVEY_DELAY_MINUTES", 60)
COMPTOIR_SURVEY_INTERVAL_DAYS = env_int("COMPTOIR_SURVEY_INTERVAL_DAYS", 30)
COMPTOIR_SURVEY_LINK_DAYS = env_int("COMPTOIR_SURVEY_LINK_DAYS", 30)

# SMS through Twilio's Messages API (comptoir.sms): the account, its auth token (which also
# signs Twilio's webhooks), the sender (an alphanumeric sender ID such as "COMPTOIR", or a
# number in E.164), the API's base URL (tests point it at a local fake), and the most
# segments one SMS may cost before it is refused.
COMPTOIR_SMS_ACCOUNT_SID = os.environ.get("COMPTOIR_SMS_ACCOUNT_SID", "")
COMPTOIR_SMS_AUTH_TOKEN = os.environ.get("COMPTOIR_SMS_AUTH_TOKEN", "")
COMPTOIR_SMS_SENDER = os.environ.get("COMPTOIR_SMS_SENDER", "")
COMPTOIR_SMS_API_URL = os.environ.get("COMPTOIR_SMS_API_URL", "https://api.twilio.com")
COMPTOIR_SMS_MAX_SEGMENTS = env_int("COMPTOIR_SMS_MAX_SEGMENTS", 3)
COMPTOIR_SMS_TIMEOUT_SECONDS = env_int("COMPTOIR_SMS_TIMEOUT_SECONDS", 15)

# Postal letters (comptoir.letters): the sender block printed on every letter, and the town
# of the "place and date" line ("Lyon, le 26 novembre 2026").
COMPTOIR_COMPANY_POSTAL_ADDRESS = os.environ.get("COMPTOIR_COMPANY_POSTAL_ADDRESS", "")
COMPTOIR_COMPANY_PHONE = os.environ.get("COMPTOIR_COMPANY_PHONE", "")
COMPTOIR_COMPANY_CITY = os.environ.get("COMPTOIR_COMPANY_CITY", "Paris")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("COMPTOIR_LOG_LEVEL", "INFO")},
    # WeasyPrint (letters) logs each rendering step at INFO.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}},
}
