from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models

from core.numbers import LONG_TEXT_MAX


class HelpdeskTeam(models.Model):
    name = models.CharField(max_length=200, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    use_timesheets = models.BooleanField(
        "Timesheet on Ticket",
        default=False,
        help_text="Log time on this team's tickets, in its project.",
    )
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="helpdesk_teams",
    )
    default_work_type = models.ForeignKey(
        "sales.WorkType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The work type of time logged on this team's tickets, unless chosen "
        "otherwise (empty: Support).",
    )
    approve_time = models.BooleanField(
        "Approve time before billing",
        default=False,
        help_text="Time logged on this team's tickets (and its project's tasks) is billed "
        "only once a manager approved it.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "helpdesk team"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.use_timesheets:
            if not self.project_id:
                raise ValidationError(
                    {"project": "Timesheet on Ticket needs a project to log the time in."}
                )
            if not self.project.allow_timesheets:
                raise ValidationError(
                    {
                        "project": f"Project “{self.project}” does not allow timesheets; "
                        "tick Allow timesheets on it or choose another project."
                    }
                )


class Ticket(models.Model):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    SOLVED = "solved"
    CANCELLED = "cancelled"
    STAGE_CHOICES = [
        (NEW, "New"),
        (IN_PROGRESS, "In Progress"),
        (SOLVED, "Solved"),
        (CANCELLED, "Cancelled"),
    ]
    OPEN_STAGES = (NEW, IN_PROGRESS)

    PRIORITY_CHOICES = [
        ("0", "Low"),
        ("1", "Medium"),
        ("2", "High"),
        ("3", "Urgent"),
    ]

    team = models.ForeignKey(HelpdeskTeam, on_delete=models.PROTECT, related_name="tickets")
    customer = models.ForeignKey("sales.Customer", on_delete=models.PROTECT, related_name="tickets")
    subject = models.CharField(max_length=255)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(LONG_TEXT_MAX)])
    stage = models.CharField(max_length=16, choices=STAGE_CHOICES, default=NEW)
    priority = models.CharField(max_length=1, choices=PRIORITY_CHOICES, default="0")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    task = models.ForeignKey(
        "projects.Task", on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["team", "stage"]),
            models.Index(fields=["customer"]),
            models.Index(fields=["assignee", "stage"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.stage in self.OPEN_STAGES
