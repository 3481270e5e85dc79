"""Admin for timesheet entries, and the Timesheets tab of a ticket.

Every write goes through `timesheets.services`, so each create, edit, move or delete
recomputes the Delivered quantity of the order lines it touches, and an invoiced
(locked) entry is refused with the service's message. Durations are typed as H:MM
or hours (1:30, 1.5) and stored as whole minutes. The billed minutes, a manager's
adjustment and the approval are the services' (shown, not edited here): the entry's
work type and Non-billable mark are what the form passes on (rules 27-28).
"""

from django import forms
from django.contrib import admin
from django.utils import timezone

from core.admin import ServiceAdmin
from core.models import AppSettings
from core.numbers import format_minutes, parse_duration
from helpdesk.admin import TicketAdmin
from helpdesk.models import Ticket
from sales.selectors import work_type_choices
from timesheets import services
from timesheets.models import TimesheetEntry

ENTRY_FIELDS = ("date", "employee", "project", "task", "ticket", "description", "work_type")


class TimesheetEntryForm(forms.ModelForm):
    duration = forms.CharField(max_length=16, help_text="H:MM or hours, e.g. 1:30 or 1.5")

    class Meta:
        model = TimesheetEntry
        fields = [
            "date",
            "employee",
            "project",
            "task",
            "ticket",
            "description",
            "work_type",
            "non_billable",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 40})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["duration"] = format_minutes(self.instance.minutes)
        for name in ("project", "task", "ticket", "work_type"):
            if name in self.fields:
                # The service fills them in from the ticket or the task (the work type:
                # the ticket's team's default, else Support).
                self.fields[name].required = False
        if "work_type" in self.fields:
            field = self.fields["work_type"]
            field.queryset = work_type_choices(current=self.instance.work_type_id)
            field.empty_label = "The team's default" if not self.instance.pk else None

    def clean_duration(self) -> int:
        try:
            return parse_duration(self.cleaned_data["duration"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def service_values(self) -> dict:
        """The cleaned fields, with `minutes`, as the timesheet services take them."""
        values = {f: self.cleaned_data[f] for f in ENTRY_FIELDS if f in self.cleaned_data}
        values["minutes"] = self.cleaned_data["duration"]
        if values.get("work_type") is None:
            values.pop("work_type", None)  # the default (new) or unchanged (edit)
        if "non_billable" in self.cleaned_data:
            values["billing"] = "non_billable" if self.cleaned_data["non_billable"] else "billable"
        return values

    def service_changes(self) -> dict:
        values = self.service_values()
        changed = set(self.changed_data)
        renamed = {"minutes": "duration", "billing": "non_billable"}
        return {f: v for f, v in values.items() if renamed.get(f, f) in changed}


def _log(*, request, values: dict, ticket: Ticket | None = None) -> TimesheetEntry:
    if ticket is not None:
        values = {**values, "ticket": ticket}
    return services.timesheet_log(actor=request.user, **values)


class TicketTimesheetInline(admin.TabularInline):
    """The Timesheets tab of a ticket whose team has Timesheet on Ticket."""

    model = TimesheetEntry
    fk_name = "ticket"
    form = TimesheetEntryForm
    fields = [
        "date",
        "employee",
        "description",
        "duration",
        "work_type",
        "non_billable",
        "billed",
        "approval_state",
        "task",
        "sale_line",
        "invoice_line",
    ]
    readonly_fields = ["billed", "approval_state", "task", "sale_line", "invoice_line"]
    extra = 0
    verbose_name_plural = "Timesheets"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["date"].initial = timezone.localdate
        formset.form.base_fields["employee"].initial = request.user.pk
        return formset

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("employee", "task", "sale_line", "work_type")
        )

    @admin.display(description="billed")
    def billed(self, entry: TimesheetEntry) -> str:
        return entry.billed_display if entry.pk else "-"


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
        "work_type",
        "duration_display",
        "billed",
        "approval_state",
        "sale_line",
        "locked",
    ]
    list_filter = ["date", "work_type", "approval_state", "non_billable", "project", "employee"]
    search_fields = ["description", "employee__username", "ticket__subject", "task__name"]
    list_select_related = [
        "employee",
        "project",
        "task",
        "ticket",
        "sale_line__order",
        "work_type",
    ]
    date_hierarchy = "date"
    fieldsets = [
        (None, {"fields": [*ENTRY_FIELDS, "duration", "non_billable"]}),
        (
            "Billed time",
            {
                "fields": [
                    "billed",
                    "billed_minutes_override",
                    "adjust_reason",
                    "adjusted_by",
                    "adjusted_at",
                    "approval_state",
                    "approved_by",
                    "approved_at",
                    "sale_line",
                    "invoice_line",
                ],
                "description": "Kept by the timesheet services: a manager adjusts the "
                "billed minutes and approves entries on the Timesheets pages.",
            },
        ),
    ]
    readonly_fields = [
        "billed",
        "billed_minutes_override",
        "adjust_reason",
        "adjusted_by",
        "adjusted_at",
        "approval_state",
        "approved_by",
        "approved_at",
        "sale_line",
        "invoice_line",
    ]
    raw_id_fields = ["task", "ticket"]
    actions = ["approve_entries"]

    @admin.display(description="billed")
    def billed(self, entry: TimesheetEntry) -> str:
        return entry.billed_display if entry.pk else "-"

    @admin.action(description="Approve the selected entries", permissions=["change"])
    def approve_entries(self, request, queryset):
        count = services.timesheets_approve(
            entries=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        self.message_user(request, f"Approved {count} entr{'y' if count == 1 else 'ies'}.")

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
