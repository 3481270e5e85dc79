from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmark (`manage.py bench`, README "Performance"). Above every business
    app: it loads and measures them, and nothing imports it."""

    name = "bench"
    verbose_name = "Benchmark"
