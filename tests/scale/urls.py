"""The project's URLs plus /healthz, whether or not config/urls.py routes it yet."""

from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from core.health import healthz

urlpatterns = [path("healthz", healthz, name="healthz"), *project_urlpatterns]
