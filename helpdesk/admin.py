"""Admin for helpdesk teams and tickets.

A team's Timesheet on Ticket rule is the model's `clean()`, so the admin form shows
its error. Tickets are written through `helpdesk.services` (a task change moves the
ticket's uninvoiced hours, DOMAIN.md rule 13). The Timesheets inline on the ticket
is added by `timesheets.admin`, the app above this one.
"""

from django.contrib import admin
from django.db.models import Count, Q

from core.admin import ServiceAdmin
from helpdesk import services
from helpdesk.models import HelpdeskTeam, Ticket
from helpdesk.selectors import tasks_for_ticket
from projects.models import Task
from sales.selectors import work_type_choices

TICKET_FIELDS = ["team", "customer", "subject", "description", "stage", "priority", "assignee"]


@admin.register(HelpdeskTeam)
class HelpdeskTeamAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "use_timesheets",
        "project",
        "default_work_type",
        "approve_time",
        "member_count",
    ]
    list_filter = ["use_timesheets", "approve_time", "project"]
    search_fields = ["name", "project__name"]
    list_select_related = ["project", "default_work_type"]
    filter_horizontal = ["members"]
    fields = ["name", "members", "use_timesheets", "project", "default_work_type", "approve_time"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        field = form_class.base_fields.get("default_work_type")
        if field is not None:
            # Active work types, and the team's own (an archived one may stay).
            field.queryset = work_type_choices(current=obj.default_work_type_id if obj else None)
            field.empty_label = "Support (the default)"
        return form_class

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description="members", ordering="member_total")
    def member_count(self, team: HelpdeskTeam) -> int:
        return team.member_total


@admin.register(Ticket)
class TicketAdmin(ServiceAdmin):
    list_display = ["__str__", "team", "customer", "stage", "priority", "assignee", "task"]
    list_filter = ["stage", "priority", "team"]
    search_fields = ["subject", "description", "customer__name"]
    list_select_related = ["team", "customer", "assignee", "task"]
    autocomplete_fields = ["customer"]
    fields = [*TICKET_FIELDS, "task", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "task" in form_class.base_fields:
            # Rule 9: tasks of the team's project, of orders of the ticket's customer.
            tasks = tasks_for_ticket(team=obj.team, customer=obj.customer)
            form_class.base_fields["task"].queryset = Task.objects.filter(
                Q(pk__in=tasks.values("pk")) | Q(pk=obj.task_id)
            )
        return form_class

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {f: data[f] for f in form.changed_data if f in [*TICKET_FIELDS, "task"]}
            services.ticket_update(ticket=obj, actor=request.user, **changes)
            return
        ticket = services.ticket_create(
            **{f: data[f] for f in TICKET_FIELDS if f in data},
            task=data.get("task"),
        )
        self.adopt(obj, ticket)
