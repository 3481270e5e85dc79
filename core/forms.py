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
