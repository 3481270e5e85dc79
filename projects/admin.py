"""Admin for projects (with Allow timesheets) and tasks.

Tasks are written through `projects.services`; their order line and allocated hours
come from the order (DOMAIN.md rule 7) and are read-only here.
"""

from django import forms
from django.contrib import admin

from core.admin import ServiceAdmin
from core.numbers import format_hours
from projects import services
from projects.models import Project, Task


class ProjectAdminForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "allow_timesheets", "customer", "manager", "active"]

    def clean_allow_timesheets(self):
        allow = self.cleaned_data["allow_timesheets"]
        if not allow and self.instance.pk:
            teams = self.instance.helpdesk_teams.filter(use_timesheets=True)
            if teams.exists():
                names = ", ".join(team.name for team in teams)
                raise forms.ValidationError(
                    f"Helpdesk team(s) {names} log time here with Timesheet on Ticket; "
                    "untick it on the team(s) first."
                )
        return allow


@admin.register(Project)
class ProjectAdmin(ServiceAdmin):
    form = ProjectAdminForm
    list_display = ["name", "allow_timesheets", "customer", "manager", "active"]
    list_filter = ["allow_timesheets", "active"]
    search_fields = ["name", "customer__name"]
    list_select_related = ["customer", "manager"]
    fields = ["name", "allow_timesheets", "customer", "manager", "active", "sale_line"]
    readonly_fields = ["sale_line"]
    autocomplete_fields = ["customer"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.full_clean()
            obj.save()
            return
        data = form.cleaned_data
        project = services.project_create(
            name=data["name"],
            allow_timesheets=data["allow_timesheets"],
            customer=data.get("customer"),
        )
        # Fields the service does not take are saved on the row it created.
        project.manager = data.get("manager")
        project.active = data.get("active", True)
        project.save(update_fields=["manager", "active"])
        self.adopt(obj, project)


@admin.register(Task)
class TaskAdmin(ServiceAdmin):
    list_display = [
        "name",
        "project",
        "stage",
        "assignee",
        "customer",
        "allocated_hours",
        "sale_line",
    ]
    list_filter = ["stage", "project"]
    search_fields = ["name", "project__name", "customer__name", "sale_line__order__name"]
    list_select_related = [
        "project",
        "assignee",
        "customer",
        "sale_line__order",
        "sale_line__product",
    ]
    autocomplete_fields = ["customer"]
    fields = [
        "project",
        "name",
        "description",
        "stage",
        "assignee",
        "customer",
        "allocated_hours",
        "sale_line",
        "remaining",
        "created_at",
    ]
    editable_fields = {"name", "description", "stage", "assignee", "customer", "allocated_hours"}

    def get_readonly_fields(self, request, obj=None):
        readonly = ["sale_line", "remaining", "created_at"]
        if obj is not None:
            readonly.append("project")
            if obj.sale_line_id:
                # Follows the ordered quantity of its line.
                readonly.append("allocated_hours")
        return readonly

    @admin.display(description="remaining hours")
    def remaining(self, task: Task) -> str:
        line = task.sale_line
        if line is None or line.remaining_hours is None:
            return "-"
        return format_hours(line.remaining_hours)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {f: data[f] for f in form.changed_data if f in self.editable_fields}
            services.task_update(task=obj, **changes)
            return
        task = services.task_create(
            project=data["project"],
            name=data["name"],
            assignee=data.get("assignee"),
            allocated_hours=data.get("allocated_hours"),
            description=data.get("description", ""),
            customer=data.get("customer"),
        )
        if data.get("stage") and data["stage"] != task.stage:
            task = services.task_update(task=task, stage=data["stage"])
        self.adopt(obj, task)
