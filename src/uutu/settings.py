"""Settings for uutu, driven by environment variables.

Every setting an operator may change comes from the environment:

- ``DATABASE_URL``: defaults to a SQLite file in ``var/uutu.sqlite3``;
  ``postgres://user@host:5432/name`` for production.
- ``SECRET_KEY`` (or ``SECRET_KEY_FILE``): when absent, a random key is created
  once in ``var/secret_key`` so that a fresh install works without set-up.
- ``DEBUG``: ``1`` for development; off by default.
- ``ALLOWED_HOSTS``: comma-separated host names.
- ``UUTU_HTTPS``: ``0`` to run over plain HTTP inside an intranet (disables the
  secure-cookie and redirect settings that ``check --deploy`` asks for).

Any variable ``X`` may also be given as ``X_FILE`` naming a file that holds it
(Docker / systemd secrets).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("UUTU_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str | None = None) -> str | None:
    """Read ``name`` from the environment, or from the file named by ``name_FILE``."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    key = env("SECRET_KEY")
    if key:
        return key
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h.strip() for h in (env("ALLOWED_HOSTS") or "localhost,127.0.0.1").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in (env("CSRF_TRUSTED_ORIGINS") or "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "uutu.core",
    "uutu.orgs",
    "uutu.accounts",
    "uutu.people",
    "uutu.pipeline",
    "uutu.targets",
    "uutu.reports",
    "uutu.emulation",
    "django_tasks_db",
    "uutu.imports",
    "uutu.scale",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "uutu.core.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "uutu.urls"
WSGI_APPLICATION = "uutu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "src" / "uutu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "uutu.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'uutu.sqlite3'}",
        conn_max_age=int(env("DB_CONN_MAX_AGE") or 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: it costs 100-400 ms on the dashboard's GROUP BYs (their
    # estimated cost passes jit_above_cost) and saves nothing on short queries.
    # No parallel query: under 200 users the parallel workers oversubscribed the
    # cores (4 requests/s with, 16 without; docs/benchmarks.md). DB_OPTIONS
    # replaces both for a bigger server.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        env("DB_OPTIONS") or "-c jit=off -c max_parallel_workers_per_gather=0"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["uutu.accounts.backends.LockoutModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Log-in lock-out: this many failures in a row lock the account for LOCKOUT_MINUTES.
LOCKOUT_THRESHOLD = int(env("LOCKOUT_THRESHOLD") or 5)
LOCKOUT_MINUTES = int(env("LOCKOUT_MINUTES") or 15)

# Vietnamese for everyone, whatever the browser asks for: a phone set to English must
# still see dd/mm/yyyy and "31,4%". (Add django.middleware.locale.LocaleMiddleware
# back when an English translation exists.)
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "src" / "uutu" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["uutu.formats"]

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT") or BASE_DIR / "staticfiles")
# Bootstrap comes from the xstatic-bootstrap package, htmx from django-htmx:
# both are installed from PyPI and served locally, never from a CDN.
try:
    import xstatic.pkg.bootstrap as _xs_bootstrap

    STATICFILES_DIRS = [
        BASE_DIR / "src" / "uutu" / "static",
        ("bootstrap", _xs_bootstrap.BASE_DIR),
    ]
except ImportError:  # pragma: no cover - the dependency is mandatory
    STATICFILES_DIRS = [BASE_DIR / "src" / "uutu" / "static"]
# Chart.js comes from the npm registry (package.json; installed by bin/run and bin/test).
_CHARTJS = BASE_DIR / "node_modules" / "chart.js" / "dist"
if _CHARTJS.is_dir():
    STATICFILES_DIRS.append(("vendor/chartjs", _CHARTJS))
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
WHITENOISE_USE_FINDERS = DEBUG

SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Covering indexes (Index.include) are PostgreSQL's; SQLite builds the same index
# without the extra columns, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

HTTPS = env_bool("UUTU_HTTPS", not DEBUG)
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS") or 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")

# Background tasks (django.tasks): large imports run in the database-backed worker,
# started with `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Page sizes
PAGE_SIZE = 50

# Figures are cached under tokens the writers replace (docs/figures.md): never
# stale, so a per-process cache is safe; each gunicorn worker keeps its own.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": int(env("CACHE_MAX_ENTRIES") or 5000)},
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL") or "WARNING"},
}
