import datetime
from html import escape  # Django's, minus its lazy-string wrapper

from django import forms
from django.utils import timezone
from django.utils.safestring import mark_safe

from core.forms import UserChoiceField, lean_selects
from core.numbers import parse_duration
from helpdesk.selectors import helpdesk_staff
from projects.models import Project
from sales.models import Customer
from timesheets import selectors
from timesheets.models import EARLIEST_ENTRY_DATE, TimesheetEntry, latest_entry_date

# What a select of users shows (UserChoiceField); the cleaned user is used by its pk.
STAFF_NAME_FIELDS = ("id", "username", "first_name", "last_name")


class DurationField(forms.CharField):
    """A duration typed as H:MM (1:30) or decimal hours (1.5), cleaned to whole minutes."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"inputmode": "decimal", "autocomplete": "off", "size": 6, "placeholder": "H:MM"}
        )

    def to_python(self, value) -> int | None:
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_duration(value)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def prepare_value(self, value):
        if isinstance(value, int):
            hours, minutes = divmod(value, 60)
            return f"{hours}:{minutes:02d}"
        return value


class EntryForm(forms.Form):
    """One timesheet entry: date, employee, description, duration.

    A manager picks the employee; anyone else logs for themselves (the field is hidden
    from them). For an invoiced (locked) entry only the description can change.
    """

    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    employee = UserChoiceField(queryset=None)
    description = forms.CharField(required=False)
    duration = DurationField()

    def __init__(
        self, *args, user, entry: TimesheetEntry | None = None, can_choose_employee: bool, **kwargs
    ):
        if entry is not None:
            kwargs.setdefault(
                "initial",
                {
                    "date": entry.date,
                    "employee": entry.employee_id,
                    "description": entry.description,
                    "duration": entry.minutes,
                },
            )
        else:
            kwargs.setdefault("initial", {"date": timezone.localdate(), "employee": user.pk})
        kwargs.setdefault("auto_id", "id_edit_%s" if entry is not None else "id_add_%s")
        super().__init__(*args, **kwargs)
        self.user = user
        self.entry = entry
        self.html_form_id = "entry-edit" if entry is not None else "entry-add"
        for form_field in self.fields.values():
            # The inputs sit in table cells; the `form` attribute ties them to their <form>.
            form_field.widget.attrs["form"] = self.html_form_id
        if can_choose_employee:
            self.fields["employee"].queryset = helpdesk_staff().only(*STAFF_NAME_FIELDS)
        else:
            del self.fields["employee"]
        if entry is not None and entry.is_locked:
            for name in ("date", "employee", "duration"):
                if name in self.fields:
                    self.fields[name].disabled = True

    def service_changes(self) -> dict:
        """The fields as timesheet service keyword arguments (duration -> minutes)."""
        data = self.cleaned_data
        changes = {"description": data["description"]}
        if not (self.entry is not None and self.entry.is_locked):
            changes["date"] = data["date"]
            changes["minutes"] = data["duration"]
            changes["employee"] = data.get("employee") or self.user
        return changes


# Service errors name the model field `minutes`; the entry form calls it `duration`.
SERVICE_FIELD_RENAMES = {"minutes": "duration"}


class EntryFilterForm(forms.Form):
    employee = UserChoiceField(queryset=None, required=False)
    # Only what the options show: the filter uses the chosen row's pk.
    project = forms.ModelChoiceField(queryset=Project.objects.only("id", "name"), required=False)
    customer = forms.ModelChoiceField(queryset=Customer.objects.only("id", "name"), required=False)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    billing = forms.ChoiceField(label="Billing", choices=selectors.BILLING_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = helpdesk_staff().only(*STAFF_NAME_FIELDS)
        lean_selects(self)

    def filters(self) -> selectors.EntryFilters:
        if not self.is_valid():
            return selectors.EntryFilters()
        data = self.cleaned_data
        return selectors.EntryFilters(
            employee=data["employee"].pk if data["employee"] else None,
            project=data["project"].pk if data["project"] else None,
            customer=data["customer"].pk if data["customer"] else None,
            date_from=data["date_from"],
            date_to=data["date_to"],
            billing=data["billing"],
        )


class AddRowForm(forms.Form):
    """Add a ticket or a task as an (empty) row of the week grid.

    `tickets` are (id, subject) and `tasks` (id, name, project name) rows."""

    add = forms.ChoiceField(label="Add a line", required=False)

    def __init__(self, *args, tickets: list[tuple], tasks: list[tuple], **kwargs):
        super().__init__(*args, **kwargs)
        self.tickets, self.tasks = tickets, tasks
        # A callable: Django normalizes (walks) 400 choices only if someone iterates them.
        self.fields["add"].choices = self._choices

    def _choices(self) -> list:
        return [
            ("", "Choose a ticket or a task…"),
            ("Tickets", [(f"ticket-{pk}", f"#{pk} {subject}") for pk, subject in self.tickets]),
            ("Tasks", [(f"task-{pk}", f"{project} / {name}") for pk, name, project in self.tasks]),
        ]

    def options_html(self) -> str:
        """The 400 <option>s, joined here: a template loop over them took 10 ms."""
        out = ['<option value="" selected>Choose a ticket or a task…</option>']
        out.append('<optgroup label="Tickets">')
        out.extend(
            f'<option value="ticket-{pk}">#{pk} {escape(subject)}</option>'
            for pk, subject in self.tickets
        )
        out.append('</optgroup><optgroup label="Tasks">')
        out.extend(
            f'<option value="task-{pk}">{escape(project)} / {escape(name)}</option>'
            for pk, name, project in self.tasks
        )
        out.append("</optgroup>")
        return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def parse_week(value: str | None) -> datetime.date:
    """The Monday of the week holding `value` (YYYY-MM-DD), this week when missing or bad;
    see `clamp_week` for a day outside the dates entries may have."""
    try:
        day = datetime.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    return clamp_week(day)


def clamp_week(day: datetime.date) -> datetime.date:
    """The Monday of the week holding `day`, kept between the week of EARLIEST_ENTRY_DATE
    and the week of tomorrow (rule 34): the grid shows no week that can hold no entry, and
    never reaches the calendar's ends (9999-12-31 + 7 days would overflow)."""
    return selectors.week_start(min(max(day, EARLIEST_ENTRY_DATE), latest_entry_date()))
