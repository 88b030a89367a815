"""Kaipiao settings: one module, read from the environment (see .env.example).

Every variable is read through config.env, which stops start-up with a message naming the
variable when a value is malformed. Without DATABASE_URL / REDIS_URL the embedded servers under
./var are used (config.embedded starts them).
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_decimal, env_hex_key, env_int, env_list, env_secret, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("KAIPIAO_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# Secrets come from the environment; for the embedded one-command run they are generated once
# into ./var (git-ignored), so nothing secret ever sits in the repository.
SECRET_KEY = env_secret("SECRET_KEY", fallback_file=VAR_DIR / "secret_key")
# 64 hex characters (32 bytes, AES-256-GCM) that encrypt
# stored tax-platform credentials at rest.
CREDENTIALS_KEY = env_hex_key("CREDENTIALS_KEY", nbytes=32, fallback_file=VAR_DIR / "credentials_key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Behind HTTPS (a TLS-terminating proxy that sets X-Forwarded-Proto) cookies are secure and
# plain HTTP is redirected. The local embedded run is plain HTTP, so this is opt-in by env.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_rq",
    "stores",
    "invoicing",
    "audit",
    "sandbox",
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
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "stores.context_processors.navigation",
                "invoicing.summary.context.summary_reminder",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------
EMBEDDED_PG_DIR = VAR_DIR / "pg"
EMBEDDED_DATABASE_URL = f"postgresql://postgres@/kaipiao?host={EMBEDDED_PG_DIR / 'data'}"
DATABASE_URL = env_url("DATABASE_URL", "", schemes=("postgres", "postgresql"))
USING_EMBEDDED_DB = DATABASE_URL == ""
try:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL or EMBEDDED_DATABASE_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
            conn_health_checks=True,
        )
    }
except ValueError as exc:  # pragma: no cover - dj_database_url's own wording
    raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from None
# Django's backend plus one safety: a timestamp Python cannot hold never takes a page down.
DATABASES["default"]["ENGINE"] = "config.postgresql"
# The exchange log is written through a connection of its own, so a record of a platform call
# survives when the caller's transaction rolls back (tax inspection needs every call). In tests
# it mirrors the default connection.
DATABASES["exchange_log"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
# Lets parallel test runs (several developers' helpers on one machine) use their own test DB.
if env_str("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, jobs ------------------------------------------------------------------------
EMBEDDED_REDIS_DIR = VAR_DIR / "redis"
EMBEDDED_REDIS_URL = f"unix://{EMBEDDED_REDIS_DIR}/redis.sock?db=0"
REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss", "unix"))
USING_EMBEDDED_REDIS = REDIS_URL == ""
REDIS_URL = REDIS_URL or EMBEDDED_REDIS_URL

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "kaipiao"),
    }
}

RQ_QUEUES = {
    name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": timeout}
    for name, timeout in (("tax", 300), ("delivery", 300), ("reports", 3600), ("default", 300))
}
RQ_SHOW_ADMIN_LINK = True

# --- Auth --------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Lockout: this many failed logins for one username within the window lock it for the window.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900, minimum=1)

# --- I18N --------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media --------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Hashed, compressed static files in production (./run runs collectstatic); tests and DEBUG
# serve straight from the app folders.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

# --- E-mail ------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "kaipiao@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
HQ_ALERT_EMAILS = env_list("HQ_ALERT_EMAILS", "")

# --- Tax platform ------------------------------------------------------------------------------
# Base URL of the 乐企-style platform; the default is the local sandbox started by ./run.
TAX_PLATFORM_URL = env_url("TAX_PLATFORM_URL", "http://127.0.0.1:8001/sandbox", schemes=("http", "https"))
TAX_PLATFORM_SIGN = env_bool("TAX_PLATFORM_SIGN", True)
TAX_PLATFORM_CONNECT_TIMEOUT = env_int("TAX_PLATFORM_CONNECT_TIMEOUT", 5, minimum=1)
TAX_PLATFORM_READ_TIMEOUT = env_int("TAX_PLATFORM_READ_TIMEOUT", 30, minimum=1)
# Headers the real platform reads: ylbm (the case code of a capability test) and sxcsbz (its
# sandbox flag). Empty, as the public clients send them, unless the bureau assigns values.
TAX_PLATFORM_CASE_CODE = env_str("TAX_PLATFORM_CASE_CODE", "")
TAX_PLATFORM_SANDBOX_FLAG = env_str("TAX_PLATFORM_SANDBOX_FLAG", "")
# The issuing server's address and MAC as QDFPSC reports them (ip, macdz); read off this machine
# when empty. Set them where the outgoing address differs (NAT, containers).
TAX_PLATFORM_MACHINE_IP = env_str("TAX_PLATFORM_MACHINE_IP", "")
TAX_PLATFORM_MACHINE_MAC = env_str("TAX_PLATFORM_MACHINE_MAC", "")
# Guards the sandbox's control API (header X-Sandbox-Token). Generated once for the local run.
SANDBOX_ADMIN_TOKEN = env_secret("SANDBOX_ADMIN_TOKEN", fallback_file=VAR_DIR / "sandbox_token", min_length=16)
SANDBOX_ENABLED = env_bool("SANDBOX_ENABLED", True)

# --- Issuing pipeline (invoicing.issuing) -------------------------------------------------------
TAX_RETRY_INTERVALS = [env_int(f"TAX_RETRY_INTERVAL_{i}", d, minimum=1) for i, d in enumerate((10, 30, 60), 1)]
TAX_POLL_DELAY = env_int("TAX_POLL_DELAY", 3, minimum=0)  # s after an upload before asking for its result
TAX_POLL_MAX = env_int("TAX_POLL_MAX", 40, minimum=1)
TAX_PLATFORM_RATE_PER_SECOND = env_int("TAX_PLATFORM_RATE_PER_SECOND", 20, minimum=1)  # shared by all workers
TAX_NUMBER_BLOCK_SIZE = env_int("TAX_NUMBER_BLOCK_SIZE", 1000, minimum=1, maximum=5000)
TAX_NUMBER_LOW_WATER = env_int("TAX_NUMBER_LOW_WATER", 200, minimum=0)
TAX_QUOTA_DOWNLOAD_CHUNK = env_decimal("TAX_QUOTA_DOWNLOAD_CHUNK", "1000000", minimum="0.01")
TAX_SWEEP_PENDING_AGE = env_int("TAX_SWEEP_PENDING_AGE", 60, minimum=1)
TAX_STUCK_SENDING_SECONDS = env_int("TAX_STUCK_SENDING_SECONDS", 300, minimum=1)
TAXPAYER_STATUS_TTL = env_int("TAXPAYER_STATUS_TTL", 3600, minimum=1)
TAX_STATUS_SYNC_LIMIT = env_int("TAX_STATUS_SYNC_LIMIT", 200, minimum=1)
TAX_STATUS_SYNC_DAYS = env_int("TAX_STATUS_SYNC_DAYS", 30, minimum=1)
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 2 * 1024 * 1024, minimum=1024)
# Auto-coding budget of one API request (docs/api.md): distinct line names matched, and the
# time spent matching; lines past either are coded by a background job.
API_CODING_BUDGET_NAMES = env_int("API_CODING_BUDGET_NAMES", 100, minimum=0)
API_CODING_BUDGET_MS = env_int("API_CODING_BUDGET_MS", 1500, minimum=0)
RED_LETTER_RESUBMIT_AFTER_S = env_int("RED_LETTER_RESUBMIT_AFTER_S", 600, minimum=1)
# Monthly summary confirmation (汇总确认): HQ is reminded from the 1st until this day of the month.
SUMMARY_CONFIRM_DEADLINE_DAY = env_int("SUMMARY_CONFIRM_DEADLINE_DAY", 15, minimum=1, maximum=28)

# --- Delivery and reports ---------------------------------------------------------------------
# Deliver every issued invoice automatically (e-mail / SMS from the order or the store's
# defaults). Off for companies whose shop shows the invoice itself through the signed link.
INVOICE_AUTO_DELIVERY = env_bool("INVOICE_AUTO_DELIVERY", True)
SMS_BACKEND = env_str("SMS_BACKEND", "invoicing.delivery.sms.LoggingSmsBackend")
DELIVERY_RETRY_INTERVALS = [env_int(f"DELIVERY_RETRY_INTERVAL_{i}", d, minimum=1)
                            for i, d in enumerate((10, 30, 60), 1)]
DELIVERY_LINK_MAX_AGE_DAYS = env_int("DELIVERY_LINK_MAX_AGE_DAYS", 30, minimum=1)
PUBLIC_BASE_URL = env_url("PUBLIC_BASE_URL", "http://127.0.0.1:8000", schemes=("http", "https"))
REPORT_KEEP_DAYS = env_int("REPORT_KEEP_DAYS", 7, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
