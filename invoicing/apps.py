from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = "Invoicing"

    def ready(self) -> None:
        # Receivers connect on import; the tasks register with Celery on import, so that
        # the services' jobs, queued by name (invoicing.jobs), resolve in every process.
        from invoicing import signals, tasks  # noqa: F401
