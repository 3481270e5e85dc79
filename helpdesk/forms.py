from django import forms
from django.urls import reverse_lazy

from core.forms import UserChoiceField
from helpdesk.models import HelpdeskTeam, Ticket
from helpdesk.selectors import TicketFilters, helpdesk_staff, tasks_for_ticket
from sales.models import Customer


class TaskChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class TicketForm(forms.ModelForm):
    """The ticket's fields; the Task choices follow the team and customer (rule 9)."""

    # The selects load only what their options show (200 customers, every staff member).
    assignee = UserChoiceField(
        queryset=helpdesk_staff().only("id", "username", "first_name", "last_name"),
        required=False,
    )
    task = TaskChoiceField(queryset=None, required=False, empty_label="(no task)")

    class Meta:
        model = Ticket
        fields = [
            "subject",
            "team",
            "customer",
            "stage",
            "priority",
            "assignee",
            "task",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = HelpdeskTeam.objects.select_related("project")
        self.fields["customer"].queryset = Customer.objects.only("id", "name")
        team, customer = self._current("team"), self._current("customer")
        self.fields["task"].queryset = tasks_for_ticket(team=team, customer=customer)
        self.fields[
            "task"
        ].help_text = "Tasks of the team's project whose order belongs to the customer."
        refresh_tasks = {
            "hx-get": reverse_lazy("helpdesk:task_options"),
            "hx-trigger": "change",
            "hx-target": "#task-field",
            "hx-swap": "outerHTML",
            "hx-include": "[name=team],[name=customer],[name=task]",
        }
        self.fields["team"].widget.attrs.update(refresh_tasks)
        self.fields["customer"].widget.attrs.update(refresh_tasks)

    def _current(self, name: str):
        """The team / customer the form is about: the submitted one, else the ticket's."""
        field = self.fields[name]
        raw = self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)
        if raw in (None, ""):
            return getattr(self.instance, name, None) if not self.is_bound else None
        if isinstance(raw, field.queryset.model):
            return raw
        if raw == getattr(self.instance, f"{name}_id", None):
            return getattr(self.instance, name)  # loaded with the ticket: no second query
        try:
            return field.queryset.get(pk=raw)
        except (field.queryset.model.DoesNotExist, ValueError, TypeError):
            return None

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class TicketFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False)
    team = forms.ModelChoiceField(queryset=HelpdeskTeam.objects.all(), required=False)
    stage = forms.ChoiceField(
        required=False,
        choices=[("", "All stages"), ("open", "Open (New, In Progress)")] + Ticket.STAGE_CHOICES,
    )
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False)
    assignee = UserChoiceField(queryset=helpdesk_staff(), required=False)

    def filters(self) -> TicketFilters:
        if not self.is_valid():
            return TicketFilters()
        data = self.cleaned_data
        return TicketFilters(
            team=data["team"].pk if data["team"] else None,
            stage=data["stage"],
            customer=data["customer"].pk if data["customer"] else None,
            assignee=data["assignee"].pk if data["assignee"] else None,
            search=data["q"],
        )
