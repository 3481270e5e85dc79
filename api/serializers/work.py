"""Tasks, tickets and timesheet entries. Shapes only: the services own every rule."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.base import (
    ApiModelSerializer,
    IdRelatedField,
    MinutesAsHoursField,
    PlainIntegerField,
)
from helpdesk.models import Ticket
from projects.models import Task
from timesheets.models import MAX_MINUTES_PER_DAY, TimesheetEntry

# Shape only (an integer the database can hold); 1..1440 is the timesheet service's rule,
# which answers 400 with its own message. The schema documents that range.
MINUTES_BOUND = 2**31 - 1


@extend_schema_field(
    {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_MINUTES_PER_DAY,
        "description": "Whole minutes, more than 0 and at most 24 hours (1440).",
    }
)
class MinutesField(PlainIntegerField):
    def __init__(self, **kwargs):
        super().__init__(min_value=-MINUTES_BOUND, max_value=MINUTES_BOUND, **kwargs)


def _stage_field(name: str, choices) -> type[serializers.ChoiceField]:
    """A stage choice with its own schema component (tasks and tickets have different stages)."""
    values = [value for value, _label in choices]
    field = type(name, (serializers.ChoiceField,), {})
    return extend_schema_field({"type": "string", "enum": values}, component_name=name)(field)


TaskStageField = _stage_field("TaskStage", Task.STAGE_CHOICES)
TicketStageField = _stage_field("TicketStage", Ticket.STAGE_CHOICES)


class TaskSerializer(ApiModelSerializer):
    stage = TaskStageField(choices=Task.STAGE_CHOICES, required=False)
    logged_hours = MinutesAsHoursField(source="logged_minutes")

    class Meta:
        model = Task
        fields = [
            "id",
            "name",
            "project",
            "sale_line",
            "allocated_hours",
            "logged_hours",
            "stage",
            "description",
            "assignee",
        ]
        extra_kwargs = {"allocated_hours": {"required": False}}


class TaskUpdateSerializer(TaskSerializer):
    class Meta(TaskSerializer.Meta):
        read_only_fields = ["project"]


class TicketSerializer(ApiModelSerializer):
    stage = TicketStageField(choices=Ticket.STAGE_CHOICES, required=False)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "team",
            "customer",
            "subject",
            "description",
            "stage",
            "priority",
            "assignee",
            "task",
        ]
        extra_kwargs = {
            "task": {
                "help_text": "A task of the team's project for an order of this customer; "
                "changing it moves the uninvoiced time to the new task."
            }
        }


class TimesheetSerializer(ApiModelSerializer):
    user = IdRelatedField(
        source="employee",
        queryset=get_user_model().objects.all(),
        required=False,
        help_text="Defaults to the caller.",
    )
    minutes = MinutesField()
    invoice = serializers.SerializerMethodField(help_text="The live invoice billing this entry.")
    billable = serializers.BooleanField(source="is_billable", read_only=True)

    class Meta:
        model = TimesheetEntry
        fields = [
            "id",
            "date",
            "user",
            "project",
            "task",
            "ticket",
            "description",
            "minutes",
            "sale_line",
            "invoice",
            "billable",
        ]
        read_only_fields = ["sale_line"]
        extra_kwargs = {
            "project": {"required": False, "help_text": "Defaults to the ticket's team project."},
            "task": {"help_text": "Defaults to the ticket's task."},
        }

    def get_invoice(self, entry: TimesheetEntry) -> int | None:
        return entry.invoice_line.invoice_id if entry.invoice_line_id else None
