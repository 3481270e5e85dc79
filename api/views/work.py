"""Tasks, tickets and timesheet entries."""

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied

from api import selectors
from api.filters import BoolFilter, ChoiceFilter, DateFilter, IdFilter, choice_values
from api.serializers.work import (
    TaskSerializer,
    TaskUpdateSerializer,
    TicketSerializer,
    TimesheetSerializer,
)
from api.views.base import ApiViewSet
from core import roles
from core.models import AppSettings
from helpdesk import services as helpdesk_services
from helpdesk.models import Ticket
from projects import services as project_services
from projects.models import Task
from timesheets import services as timesheet_services
from timesheets.models import TimesheetEntry
from timesheets.permissions import can_change_entry, can_log_for


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
    """Time entries: a Helpdesk User sees and changes their own, a Manager everyone's."""

    serializer_class = TimesheetSerializer
    read_role = staticmethod(roles.is_helpdesk_user)
    write_role = staticmethod(roles.is_helpdesk_user)
    error_field_names = {"employee": "user"}
    query_filters = [
        IdFilter("ticket"),
        IdFilter("task"),
        IdFilter("project"),
        IdFilter("user", lookup="employee"),
        IdFilter("sale_line"),
        DateFilter("date_from", lookup="date__gte"),
        DateFilter("date_to", lookup="date__lte"),
        BoolFilter("billable", when_true=Q(sale_line__isnull=False)),
        BoolFilter("invoiced", when_true=Q(invoice_line__isnull=False)),
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

    def create_record(self, data):
        employee = data.pop("employee", None) or self.request.user
        if not can_log_for(self.request.user, employee):
            raise PermissionDenied("You can only log your own time.")
        return timesheet_services.timesheet_log(employee=employee, actor=self.request.user, **data)

    def update_record(self, instance: TimesheetEntry, data):
        if not can_change_entry(self.request.user, instance):
            raise PermissionDenied("You can only change your own time.")
        if "employee" in data and not can_log_for(self.request.user, data["employee"]):
            raise PermissionDenied("You can only log your own time.")
        return timesheet_services.timesheet_update(entry=instance, actor=self.request.user, **data)

    def delete_record(self, instance: TimesheetEntry):
        if not can_change_entry(self.request.user, instance):
            raise PermissionDenied("You can only delete your own time.")
        timesheet_services.timesheet_delete(entry=instance, actor=self.request.user)
