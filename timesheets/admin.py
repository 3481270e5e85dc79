"""Admin for timesheet entries, and the Timesheets tab of a ticket.

Every write goes through `timesheets.services`, so each create, edit, move or delete
recomputes the Delivered quantity of the order lines it touches, and an invoiced
(locked) entry is refused with the service's message. Durations are typed as H:MM
or hours (1:30, 1.5) and stored as whole minutes.
"""

from django import forms
from django.contrib import admin
from django.utils import timezone

from core.admin import ServiceAdmin
from core.models import AppSettings
from core.numbers import format_minutes, parse_duration
from helpdesk.admin import TicketAdmin
from helpdesk.models import Ticket
from timesheets import services
from timesheets.models import TimesheetEntry

ENTRY_FIELDS = ("date", "employee", "project", "task", "ticket", "description")


class TimesheetEntryForm(forms.ModelForm):
    duration = forms.CharField(max_length=16, help_text="H:MM or hours, e.g. 1:30 or 1.5")

    class Meta:
        model = TimesheetEntry
        fields = ["date", "employee", "project", "task", "ticket", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 40})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["duration"] = format_minutes(self.instance.minutes)
        for name in ("project", "task", "ticket"):
            if name in self.fields:
                # The service fills them in from the ticket or the task.
                self.fields[name].required = False

    def clean_duration(self) -> int:
        try:
            return parse_duration(self.cleaned_data["duration"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def service_values(self) -> dict:
        """The cleaned fields, with `minutes`, as the timesheet services take them."""
        values = {f: self.cleaned_data[f] for f in ENTRY_FIELDS if f in self.cleaned_data}
        values["minutes"] = self.cleaned_data["duration"]
        return values

    def service_changes(self) -> dict:
        values = self.service_values()
        changed = set(self.changed_data)
        return {
            f: v
            for f, v in values.items()
            if f in changed or (f == "minutes" and "duration" in changed)
        }


def _log(*, request, values: dict, ticket: Ticket | None = None) -> TimesheetEntry:
    if ticket is not None:
        values = {**values, "ticket": ticket}
    return services.timesheet_log(actor=request.user, **values)


class TicketTimesheetInline(admin.TabularInline):
    """The Timesheets tab of a ticket whose team has Timesheet on Ticket."""

    model = TimesheetEntry
    fk_name = "ticket"
    form = TimesheetEntryForm
    fields = ["date", "employee", "description", "duration", "task", "sale_line", "invoice_line"]
    readonly_fields = ["task", "sale_line", "invoice_line"]
    extra = 0
    verbose_name_plural = "Timesheets"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["date"].initial = timezone.localdate
        formset.form.base_fields["employee"].initial = request.user.pk
        return formset

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("employee", "task", "sale_line")


class TicketWithTimesheetsAdmin(TicketAdmin):
    inlines = [TicketTimesheetInline]

    def get_inline_instances(self, request, obj=None):
        if obj is None or not obj.team.use_timesheets or not AppSettings.load().timesheets_enabled:
            return []
        return super().get_inline_instances(request, obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not TimesheetEntry:
            return super().save_formset(request, form, formset, change)
        save_entry_forms(request, formset, ticket=form.instance)


def save_entry_forms(request, formset, *, ticket: Ticket) -> None:
    """Save an entries formset through the services, filling what the change log reads."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for entry_form in formset.deleted_forms:
        if entry_form.instance.pk:
            services.timesheet_delete(entry=entry_form.instance, actor=request.user)
            formset.deleted_objects.append(entry_form.instance)
    for entry_form in formset.forms:
        if entry_form in formset.deleted_forms or not entry_form.has_changed():
            continue
        if entry_form.instance.pk:
            entry = services.timesheet_update(
                entry=entry_form.instance, actor=request.user, **entry_form.service_changes()
            )
            formset.changed_objects.append((entry, entry_form.changed_data))
        else:
            entry = _log(request=request, values=entry_form.service_values(), ticket=ticket)
            formset.new_objects.append(entry)


admin.site.unregister(Ticket)
admin.site.register(Ticket, TicketWithTimesheetsAdmin)


@admin.register(TimesheetEntry)
class TimesheetEntryAdmin(ServiceAdmin):
    form = TimesheetEntryForm
    list_display = [
        "date",
        "employee",
        "project",
        "task",
        "ticket",
        "duration_display",
        "sale_line",
        "locked",
    ]
    list_filter = ["date", "project", "employee"]
    search_fields = ["description", "employee__username", "ticket__subject", "task__name"]
    list_select_related = ["employee", "project", "task", "ticket", "sale_line__order"]
    date_hierarchy = "date"
    fields = [*ENTRY_FIELDS, "duration", "sale_line", "invoice_line"]
    readonly_fields = ["sale_line", "invoice_line"]
    raw_id_fields = ["task", "ticket"]

    @admin.display(description="locked", boolean=True)
    def locked(self, entry: TimesheetEntry) -> bool:
        return entry.is_locked

    def get_changeform_initial_data(self, request):
        return {"date": timezone.localdate(), "employee": request.user.pk} | dict(
            super().get_changeform_initial_data(request)
        )

    def save_model(self, request, obj, form, change):
        if change:
            services.timesheet_update(entry=obj, actor=request.user, **form.service_changes())
        else:
            self.adopt(obj, _log(request=request, values=form.service_values()))

    def delete_model(self, request, obj):
        services.timesheet_delete(entry=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for entry in queryset.order_by("pk"):
            services.timesheet_delete(entry=entry, actor=request.user)
