"""Settings of the Celery worker the integration test starts: the test settings, plus
mail written to files the test can count (the locmem outbox lives in one process)."""

from config.settings.test import *  # noqa: F403
from config.settings.test import env

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH")
