"""The Celery app: settings come from Django's, prefixed CELERY_ (config/settings/base.py).

Start a worker with `celery -A config worker`; with no CELERY_BROKER_URL, tasks run
in-process (CELERY_TASK_ALWAYS_EAGER) and no worker is needed.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("billable")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
