from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models

from core.numbers import LONG_TEXT_MAX


class Project(models.Model):
    name = models.CharField(max_length=200)
    allow_timesheets = models.BooleanField(
        "Allow timesheets", default=True, help_text="Time can only be logged on such a project."
    )
    customer = models.ForeignKey(
        "sales.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="projects"
    )
    # Set when the project was created for one order line ("task in a new project").
    sale_line = models.ForeignKey(
        "sales.SaleOrderLine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_projects",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    active = models.BooleanField(default=True)
    # Minutes of the project's entries that have no task (the tasks keep their own in
    # Task.logged_minutes): written only by timesheets.services.rollup_entries.
    untasked_minutes = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"
    STAGE_CHOICES = [
        (NEW, "New"),
        (IN_PROGRESS, "In Progress"),
        (DONE, "Done"),
        (CANCELLED, "Cancelled"),
    ]

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="tasks")
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(LONG_TEXT_MAX)])
    stage = models.CharField(max_length=16, choices=STAGE_CHOICES, default=NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tasks",
    )
    customer = models.ForeignKey(
        "sales.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    allocated_hours = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    sale_line = models.ForeignKey(
        "sales.SaleOrderLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name="sales order item",
    )
    # Minutes of all the task's entries, written only by timesheets.services.rollup_entries
    # (like Delivered on the order line): the project pages read it, never sum entries.
    logged_minutes = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project_id", "id"]
        constraints = [
            # One generated task per order line, even when two confirmations race.
            models.UniqueConstraint(
                fields=["sale_line"],
                condition=models.Q(sale_line__isnull=False),
                name="projects_task_one_per_sale_line",
            )
        ]
        indexes = [
            # The project list sums the allocated hours and logged minutes of each
            # project's tasks: an index-only scan with them in the index (PostgreSQL;
            # SQLite ignores `include`).
            models.Index(
                fields=["project"],
                include=["allocated_hours", "logged_minutes"],
                name="projects_task_figures",
            ),
        ]

    def __str__(self) -> str:
        return self.name
