# Loaded with Django so that `@shared_task` tasks bind to our Celery app.
from config.celery import app as celery_app

__all__ = ("celery_app",)
