from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Project"

    def ready(self) -> None:
        from projects import signals  # noqa: F401
