"""Tasks, tickets and timesheet entries. Shapes only: the services own every rule."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.filters import MAX_ID
from api.serializers.base import (
    ApiModelSerializer,
    IdRelatedField,
    MinutesAsHoursField,
    PlainIntegerField,
    named_choice_field,
)
from helpdesk.models import Ticket
from projects.models import Task
from sales.models import WorkType
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


@extend_schema_field(
    {
        "type": "integer",
        "minimum": 0,
        "maximum": MAX_MINUTES_PER_DAY,
        "nullable": True,
        "description": "Whole minutes, 0 to 1440; null: no override.",
    }
)
class OverrideMinutesField(PlainIntegerField):
    """A manager's billed minutes; the bounds are the timesheet service's rule (400)."""

    def __init__(self, **kwargs):
        super().__init__(min_value=-MINUTES_BOUND, max_value=MINUTES_BOUND, **kwargs)


BILLING_CHOICES = [("billable", "Billable"), ("non_billable", "Non-billable")]
# One approval request's entries: a week of a large team fits.
APPROVE_MAX = 10_000


TaskStageField = named_choice_field("TaskStage", Task.STAGE_CHOICES)
TicketStageField = named_choice_field("TicketStage", Ticket.STAGE_CHOICES)
EntryBillingField = named_choice_field("EntryBilling", BILLING_CHOICES)


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
    billable = serializers.BooleanField(
        source="is_billable",
        read_only=True,
        help_text="Billed on its sale line: a billable or no-charge work type, not marked "
        "non-billable, approved where the team approves time.",
    )
    work_type = IdRelatedField(
        queryset=WorkType.objects.all(),
        required=False,
        help_text="Defaults to the ticket's team's default work type, else Support.",
    )
    billing = EntryBillingField(
        choices=BILLING_CHOICES,
        required=False,
        help_text="`non_billable`: never billed (rule 27). Refused (409) once invoiced.",
    )
    billed_minutes = serializers.IntegerField(
        read_only=True,
        help_text="What is billed (rule 28): the line's rounding rule applied to `minutes`, "
        "or the manager's override; 0 when not billable.",
    )
    billed_minutes_override = OverrideMinutesField(
        required=False,
        allow_null=True,
        help_text="Managers: billed minutes set by hand (a write-up or write-off), with "
        "`adjust_reason`; null clears it. Refused (409) once invoiced.",
    )
    adjust_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=TimesheetEntry._meta.get_field("adjust_reason").max_length,
        help_text="Managers: why the billed minutes were set by hand (needed with an override).",
    )
    adjusted_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    adjusted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    approval_state = serializers.ChoiceField(
        choices=TimesheetEntry.APPROVAL_CHOICES,
        read_only=True,
        allow_null=True,
        help_text="`to_approve`, `approved`, or null where the team does not approve time.",
    )

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
            "work_type",
            "billing",
            "billed_minutes",
            "billed_minutes_override",
            "adjust_reason",
            "adjusted_by",
            "adjusted_at",
            "approval_state",
        ]
        read_only_fields = ["sale_line"]
        extra_kwargs = {
            "project": {"required": False, "help_text": "Defaults to the ticket's team project."},
            "task": {"help_text": "Defaults to the ticket's task."},
        }

    def get_invoice(self, entry: TimesheetEntry) -> int | None:
        return entry.invoice_line.invoice_id if entry.invoice_line_id else None


class TimesheetApproveSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=PlainIntegerField(min_value=1, max_value=MAX_ID),
        allow_empty=False,
        max_length=APPROVE_MAX,
        help_text=f"Entry ids, at most {APPROVE_MAX:,}; those not To approve are left as they are.",
    )


class TimesheetApprovedSerializer(serializers.Serializer):
    approved = serializers.IntegerField(help_text="How many entries became approved.")
