import datetime
from html import escape  # Django's, minus its lazy-string wrapper

from django import forms
from django.utils import timezone
from django.utils.safestring import mark_safe

from core.forms import UserChoiceField, lean_selects
from core.numbers import parse_duration
from helpdesk.selectors import helpdesk_staff
from projects.models import Project
from sales.models import Customer, WorkType
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


class WorkTypeChoiceField(forms.ModelChoiceField):
    """A work type; empty (not sent) means the target's default on a new entry and no
    change on an edited one (rule 27)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", None)
        kwargs.setdefault("required", False)
        kwargs.setdefault("empty_label", None)
        super().__init__(**kwargs)


class EntryForm(forms.Form):
    """One timesheet entry: date, employee, description, work type, non-billable, duration.

    A manager picks the employee; anyone else logs for themselves (the field is hidden
    from them). The work type is one in use (an edited entry keeps its own even if it no
    longer is), by default the ticket team's default work type, else "Support" (rule 27).
    Anyone who may change the entry may mark it non-billable (rule 27: staff their own).
    For an invoiced (locked) entry only the description can change.
    """

    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    employee = UserChoiceField(queryset=None)
    description = forms.CharField(required=False)
    work_type = WorkTypeChoiceField()
    non_billable = forms.BooleanField(label="Non-billable", required=False)
    duration = DurationField()

    def __init__(
        self,
        *args,
        user,
        entry: TimesheetEntry | None = None,
        can_choose_employee: bool,
        default_work_type: int | None = None,
        **kwargs,
    ):
        if entry is not None:
            kwargs.setdefault(
                "initial",
                {
                    "date": entry.date,
                    "employee": entry.employee_id,
                    "description": entry.description,
                    "work_type": entry.work_type_id,
                    "non_billable": entry.non_billable,
                    "duration": entry.minutes,
                },
            )
        else:
            kwargs.setdefault(
                "initial",
                {
                    "date": timezone.localdate(),
                    "employee": user.pk,
                    "work_type": default_work_type,
                },
            )
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
        self.fields["work_type"].queryset = selectors.work_types(
            keep=entry.work_type_id if entry is not None else None
        )
        if entry is not None and entry.is_locked:
            for name in ("date", "employee", "work_type", "non_billable", "duration"):
                if name in self.fields:
                    self.fields[name].disabled = True

    def service_changes(self) -> dict:
        """The fields as timesheet service keyword arguments (duration -> minutes,
        non-billable -> billing)."""
        data = self.cleaned_data
        changes = {"description": data["description"]}
        if not (self.entry is not None and self.entry.is_locked):
            changes["date"] = data["date"]
            changes["minutes"] = data["duration"]
            changes["employee"] = data.get("employee") or self.user
            changes["billing"] = "non_billable" if data["non_billable"] else "billable"
            if data["work_type"] is not None:
                changes["work_type"] = data["work_type"]
        return changes


# Service errors name the model fields; the entry form calls `minutes` duration and the
# non-billable mark (the API's `billing`) non_billable.
SERVICE_FIELD_RENAMES = {"minutes": "duration", "billing": "non_billable"}


class AdjustBilledForm(forms.Form):
    """A manager's billed time for an uninvoiced entry, with the reason (rule 28). The
    duration is typed as everywhere else (1:30, 1.5, 90m); 0 writes the entry off."""

    billed = DurationField(label="Billed time")
    reason = forms.CharField(label="Reason", max_length=200)

    def __init__(self, *args, entry: TimesheetEntry, **kwargs):
        if entry.billed_minutes_override is not None:
            kwargs.setdefault(
                "initial", {"billed": entry.billed_minutes_override, "reason": entry.adjust_reason}
            )
        super().__init__(*args, **kwargs)
        self.fields["billed"].widget.attrs["placeholder"] = entry.billed_display


# timesheet_adjust_billed's errors: `minutes` and `adjust_reason`.
ADJUST_FIELD_RENAMES = {
    "minutes": "billed",
    "billed_minutes_override": "billed",
    "adjust_reason": "reason",
}


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
    work_type = forms.ModelChoiceField(
        label="Work type", queryset=WorkType.objects.only("id", "name"), required=False
    )
    billing = forms.ChoiceField(label="Billing", choices=selectors.BILLING_CHOICES, required=False)
    approval = forms.ChoiceField(
        label="Approval", choices=selectors.APPROVAL_CHOICES, required=False
    )

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
            work_type=data["work_type"].pk if data["work_type"] else None,
            approval=data["approval"],
        )


class AddRowForm(forms.Form):
    """Add a ticket or a task, with a work type, as an (empty) row of the week grid.

    `tickets` are (id, subject) and `tasks` (id, name, project name) rows. No work type
    chosen: the ticket team's default, else "Support" (rule 27)."""

    add = forms.ChoiceField(label="Add a line", required=False)
    work_type = WorkTypeChoiceField(label="Work type", empty_label="Default work type")

    def __init__(self, *args, tickets: list[tuple], tasks: list[tuple], **kwargs):
        super().__init__(*args, **kwargs)
        self.tickets, self.tasks = tickets, tasks
        # A callable: Django normalizes (walks) 400 choices only if someone iterates them.
        self.fields["add"].choices = self._choices
        self.fields["work_type"].queryset = selectors.work_types()
        lean_selects(self, ["work_type"])

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


def with_work_type(key: str, work_type: str | None) -> str:
    """An added row's key with the work type chosen beside it ("ticket-12" and "3" ->
    "ticket-12-w3"); a key that has one, or a choice that is not an id, stays as it is."""
    parsed = selectors.parse_row_key(key)
    if parsed is None or parsed.work_type_id is not None or not work_type:
        return key
    chosen = selectors.parse_row_key(f"{key}-w{work_type}")
    return chosen.text if chosen is not None else key


class ApprovalFilterForm(forms.Form):
    """The Approvals page's filters: a week (any day of it), an employee, a customer."""

    week = forms.DateField(
        label="Week of",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Any day: the week from its Monday to its Sunday.",
    )
    employee = UserChoiceField(queryset=None, required=False)
    customer = forms.ModelChoiceField(queryset=Customer.objects.only("id", "name"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = helpdesk_staff().only(*STAFF_NAME_FIELDS)
        lean_selects(self)

    def filters(self) -> selectors.ApprovalFilters:
        if not self.is_valid():
            return selectors.ApprovalFilters()
        data = self.cleaned_data
        return selectors.ApprovalFilters(
            monday=clamp_week(data["week"]) if data["week"] else None,
            employee=data["employee"].pk if data["employee"] else None,
            customer=data["customer"].pk if data["customer"] else None,
        )


# At most this many entries approved in one go: what the Approvals page shows.
APPROVE_MAX = selectors.APPROVAL_ROWS


class EntryIdsField(forms.Field):
    """Entry ids, one form value each (checkboxes or hidden inputs of one name)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if not isinstance(value, (list, tuple)):
            value = [value]
        ids = []
        for item in value:
            text = str(item).strip()
            if not (text.isascii() and text.isdigit()) or int(text) > selectors.MAX_PK:
                raise forms.ValidationError(f"“{item}” is not a timesheet entry.")
            ids.append(int(text))
        return sorted(set(ids))


class ApproveForm(forms.Form):
    """Approve selected (`entry`, the ticked rows) or Approve all shown (`shown`, every
    row the page showed): ids only, never "whatever matches now", so an entry logged
    after the page was loaded is not approved unseen."""

    SELECTED = "selected"
    SHOWN = "shown"

    approve = forms.ChoiceField(
        choices=[(SELECTED, "Approve selected"), (SHOWN, "Approve all shown")]
    )
    entry = EntryIdsField(required=False)
    shown = EntryIdsField(required=False)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        chosen = data["approve"]
        ids = data[self.SHOWN] if chosen == self.SHOWN else data["entry"]
        if not ids:
            raise forms.ValidationError(
                "Tick the entries to approve."
                if chosen == self.SELECTED
                else "No entry to approve."
            )
        if len(ids) > APPROVE_MAX:
            raise forms.ValidationError(f"At most {APPROVE_MAX} entries at a time.")
        data["ids"] = ids
        return data


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
