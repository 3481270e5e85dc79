from django import forms

from core.forms import UserChoiceField
from projects.models import Task
from projects.selectors import sale_lines_for_task


class SaleLineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.order.name} - {obj.first_description_line}"


class TaskForm(forms.ModelForm):
    """The task's own fields; saved through projects.services.task_update."""

    sale_line = SaleLineChoiceField(
        queryset=None, required=False, label="Sales order item", empty_label="(non-billable)"
    )

    class Meta:
        model = Task
        fields = ["name", "stage", "assignee", "allocated_hours", "sale_line", "description"]
        field_classes = {"assignee": UserChoiceField}
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, read_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sale_line"].queryset = sale_lines_for_task(task=self.instance)
        self.fields["assignee"].queryset = self.fields["assignee"].queryset.filter(is_active=True)
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    def changes(self) -> dict:
        return {
            name: self.cleaned_data[name] for name in self.Meta.fields if name in self.changed_data
        }
