"""Test run: fast hashing, in-memory mail, DATABASE_URL decides SQLite or PostgreSQL."""

from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 (tests only)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / ".test-media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Django's test client `login()` passes no request, which django-axes refuses; the
# throttling tests in tests/security switch it back on and log in through the page.
AXES_ENABLED = False
WHITENOISE_AUTOREFRESH = True  # no collected static files in tests

# SQLite: the test database is a file, not Django's default shared in-memory one. The
# live server of the browser tests answers each request on its own thread, and with an
# in-memory database every thread shares the test's one connection: two requests at once
# collide ("cannot start a transaction within a transaction", "table is locked"). With a
# file each thread opens its own connection, as on PostgreSQL. BEGIN IMMEDIATE makes a
# request's transaction wait (OPTIONS timeout) for the write lock up front, instead of
# failing when a read transaction later tries to write; synchronous=OFF skips the fsyncs
# a throwaway database does not need. pytest-xdist workers get `_gw0`... suffixes.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    _sqlite = DATABASES["default"]  # noqa: F405
    _name = Path(_sqlite["NAME"])
    _sqlite.setdefault("TEST", {}).setdefault("NAME", str(_name.with_stem(f"{_name.stem}-test")))
    _sqlite["OPTIONS"].update(transaction_mode="IMMEDIATE", init_command="PRAGMA synchronous=OFF")
