from django import forms
from django.core.exceptions import ValidationError

from core.models import AppSettings


class UserChoiceField(forms.ModelChoiceField):
    """A user shown by full name (username when it has none)."""

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class ConfigurationForm(forms.ModelForm):
    """The two feature switches of the seed's Settings pages."""

    class Meta:
        model = AppSettings
        fields = ["timesheets_enabled", "uom_enabled"]


def apply_service_errors(
    form: forms.BaseForm, error: ValidationError, renames: dict[str, str] | None = None
) -> None:
    """Show a service's ValidationError on a form: on the field it names, else on top.

    `renames` maps a model field to the form's name for it (minutes -> duration).
    """
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            name = (renames or {}).get(field, field)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


# A <select> whose options one template loop prints: Django's own includes a template per
# option, which made long customer / assignee / task selects most of a page's time.
LEAN_SELECT = "widgets/lean_select.html"


def lean_selects(form: forms.BaseForm, names: list[str] | None = None) -> forms.BaseForm:
    """Render the form's plain selects (or those named) with the one-loop template."""
    for name, field in form.fields.items():
        if (names is None or name in names) and type(field.widget) is forms.Select:
            field.widget.template_name = LEAN_SELECT
    return form
