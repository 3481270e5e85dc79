"""The project's URLs plus B3's bare floor views; installed only while the benchmark runs."""

from django.urls import path

from bench.floor import floor_view
from config.urls import handler403, handler404
from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("__bench__/floor/<slug:page>/", floor_view, name="bench_floor"),
    *project_urlpatterns,
]

__all__ = ["handler403", "handler404", "urlpatterns"]
