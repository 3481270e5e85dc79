"""Tasks, tickets and timesheet entries."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from api import selectors
from api.filters import (
    BoolFilter,
    ChoiceFilter,
    DateFilter,
    IdFilter,
    NullableChoiceFilter,
    choice_values,
)
from api.serializers.work import (
    TaskSerializer,
    TaskUpdateSerializer,
    TicketSerializer,
    TimesheetApprovedSerializer,
    TimesheetApproveSerializer,
    TimesheetSerializer,
)
from api.views.base import ApiViewSet
from core import roles
from core.errors import ConflictError
from core.models import AppSettings
from helpdesk import services as helpdesk_services
from helpdesk.models import Ticket
from projects import services as project_services
from projects.models import Task
from timesheets import services as timesheet_services
from timesheets.models import TimesheetEntry
from timesheets.permissions import can_change_entry, can_log_for

# A manager's fields (rule 28): anyone reads them, only a manager sends them (403).
ADJUSTMENT_FIELDS = ("billed_minutes_override", "adjust_reason")

# SQL twin of `TimesheetEntry.is_billable` (the `billable` field).
BILLABLE = (
    Q(sale_line__isnull=False, non_billable=False)
    & ~Q(work_type__billing="non_billable")
    & ~Q(approval_state=TimesheetEntry.TO_APPROVE)
)


@extend_schema(tags=["projects"])
class TaskViewSet(ApiViewSet):
    read_role = staticmethod(roles.is_helpdesk_user)
    write_role = staticmethod(roles.is_manager)
    http_method_names = ["get", "post", "patch", "head", "options"]
    query_filters = [
        IdFilter("project"),
        IdFilter("sale_line"),
        ChoiceFilter("stage", choices=choice_values(Task.STAGE_CHOICES)),
    ]

    def get_serializer_class(self):
        if self.action == "partial_update":
            return TaskUpdateSerializer
        return TaskSerializer

    def get_queryset(self):
        return selectors.tasks_qs()

    def create_record(self, data):
        return project_services.task_create(**data)

    def update_record(self, instance, data):
        return project_services.task_update(task=instance, **data)


@extend_schema(tags=["helpdesk"])
class TicketViewSet(ApiViewSet):
    serializer_class = TicketSerializer
    read_role = staticmethod(roles.is_helpdesk_user)
    write_role = staticmethod(roles.is_helpdesk_user)
    http_method_names = ["get", "post", "patch", "head", "options"]
    query_filters = [
        IdFilter("team"),
        ChoiceFilter("stage", choices=choice_values(Ticket.STAGE_CHOICES)),
        IdFilter("customer"),
        IdFilter("assignee"),
        IdFilter("task"),
    ]

    def get_queryset(self):
        return Ticket.objects.all()

    def create_record(self, data):
        return helpdesk_services.ticket_create(**data)

    def update_record(self, instance, data):
        # A `task` change moves the ticket's uninvoiced time (DOMAIN.md rule 13).
        return helpdesk_services.ticket_update(ticket=instance, actor=self.request.user, **data)


@extend_schema(tags=["timesheets"])
class TimesheetViewSet(ApiViewSet):
    """Time entries: a Helpdesk User sees and changes their own, a Manager everyone's.

    A manager also sets an entry's billed minutes by hand (`billed_minutes_override` with
    `adjust_reason`) and approves entries (`POST /timesheets/approve/`)."""

    serializer_class = TimesheetSerializer
    read_role = staticmethod(roles.is_helpdesk_user)
    write_role = staticmethod(roles.is_helpdesk_user)
    action_roles = {"approve": roles.is_manager}
    error_field_names = {"employee": "user"}
    query_filters = [
        IdFilter("ticket"),
        IdFilter("task"),
        IdFilter("project"),
        IdFilter("user", lookup="employee"),
        IdFilter("sale_line"),
        DateFilter("date_from", lookup="date__gte"),
        DateFilter("date_to", lookup="date__lte"),
        BoolFilter("billable", when_true=BILLABLE),
        BoolFilter("invoiced", when_true=Q(invoice_line__isnull=False)),
        IdFilter("work_type"),
        NullableChoiceFilter(
            "approval_state",
            choices=choice_values(TimesheetEntry.APPROVAL_CHOICES),
            description="`to_approve`, `approved`, or `none` (the team does not approve time).",
        ),
    ]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # 401 / 403 first
        if not AppSettings.load().timesheets_enabled:
            # Like the pages (DOMAIN.md rule 1): with the feature off, timesheets do not exist.
            raise NotFound("The Timesheets feature is switched off.")

    def get_queryset(self):
        entries = selectors.timesheets_qs()
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return entries.none()
        if roles.is_manager(self.request.user):
            return entries
        return entries.filter(employee=self.request.user)

    def _adjustment(self, data: dict) -> dict:
        """The manager's fields, taken out of `data`; 403 for anyone else who sends them."""
        adjustment = {name: data.pop(name) for name in ADJUSTMENT_FIELDS if name in data}
        if adjustment and not roles.is_manager(self.request.user):
            raise PermissionDenied("Only a manager sets billed minutes by hand.")
        return adjustment

    def _adjust(self, entry: TimesheetEntry, adjustment: dict) -> TimesheetEntry:
        """`timesheet_adjust_billed`: an override needs its reason; a reason alone rewords
        the override the entry has; null clears it."""
        if "billed_minutes_override" in adjustment:
            minutes = adjustment["billed_minutes_override"]
        elif entry.billed_minutes_override is not None:
            minutes = entry.billed_minutes_override
        else:
            raise ValidationError(
                {"adjust_reason": "Send billed_minutes_override with the reason."}
            )
        try:
            return timesheet_services.timesheet_adjust_billed(
                entry=entry,
                minutes=minutes,
                reason=adjustment.get("adjust_reason", ""),
                actor=self.request.user,
            )
        except ValidationError as error:
            if isinstance(error, ConflictError) or not hasattr(error, "error_dict"):
                raise
            # The service's `minutes` is this call's override, not the entry's minutes.
            renamed = {
                "billed_minutes_override" if field == "minutes" else field: errors
                for field, errors in error.error_dict.items()
            }
            raise ValidationError(renamed) from None

    def create_record(self, data):
        adjustment = self._adjustment(data)
        employee = data.pop("employee", None) or self.request.user
        if not can_log_for(self.request.user, employee):
            raise PermissionDenied("You can only log your own time.")
        entry = timesheet_services.timesheet_log(employee=employee, actor=self.request.user, **data)
        return self._adjust(entry, adjustment) if adjustment else entry

    def update_record(self, instance: TimesheetEntry, data):
        adjustment = self._adjustment(data)
        if not can_change_entry(self.request.user, instance):
            raise PermissionDenied("You can only change your own time.")
        if "employee" in data and not can_log_for(self.request.user, data["employee"]):
            raise PermissionDenied("You can only log your own time.")
        entry = instance
        if data or not adjustment:
            entry = timesheet_services.timesheet_update(
                entry=instance, actor=self.request.user, **data
            )
        return self._adjust(entry, adjustment) if adjustment else entry

    @extend_schema(request=TimesheetApproveSerializer, responses={200: TimesheetApprovedSerializer})
    @action(detail=False, methods=["post"], serializer_class=TimesheetApproveSerializer)
    def approve(self, request):
        """Managers: the given entries that are To approve become Approved (rule 33), and
        are billed from then on. Answers how many changed."""
        ids = sorted(set(self.validated_input(TimesheetApproveSerializer)["ids"]))
        found = set(self.get_queryset().filter(pk__in=ids).values_list("pk", flat=True))
        missing = [pk for pk in ids if pk not in found]
        if missing:
            shown = ", ".join(str(pk) for pk in missing[:20])
            raise ValidationError({"ids": f"No timesheet entry {shown}."})
        approved = timesheet_services.timesheets_approve(entries=ids, actor=request.user)
        return Response(TimesheetApprovedSerializer({"approved": approved}).data)

    def delete_record(self, instance: TimesheetEntry):
        if not can_change_entry(self.request.user, instance):
            raise PermissionDenied("You can only delete your own time.")
        timesheet_services.timesheet_delete(entry=instance, actor=self.request.user)
