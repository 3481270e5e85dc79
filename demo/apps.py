from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The "Get started" demo data (`manage.py seed_demo`). Above every business app: it
    builds its data through their services, and nothing imports it."""

    name = "demo"
    verbose_name = "Demo data"
