"""Test run: fast hashing, in-memory mail, DATABASE_URL decides SQLite or PostgreSQL."""

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"
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
