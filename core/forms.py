from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe

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


class LeanSelect(forms.Select):
    """A <select> whose options are joined in Python: Django's includes a template per
    option, and even one template loop over 200 customers cost 10 ms a page. The same
    markup as Django's select.html (one option selected at most)."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        chosen = set(self.format_value(value))
        out = [f"<select{flatatt({'name': name, **attrs})}>"]
        for option_value, option_label in self.choices:
            if isinstance(option_label, (list, tuple)):
                out.append(f'\n  <optgroup label="{escape(option_value)}">')
                for sub_value, sub_label in option_label:
                    out.append(self._option(sub_value, sub_label, chosen))
                out.append("\n  </optgroup>")
            else:
                out.append(self._option(option_value, option_label, chosen))
        out.append("\n</select>")
        return mark_safe("".join(out))  # noqa: S308 - every value above is escaped

    @staticmethod
    def _option(value, label, chosen: set[str]) -> str:
        value = "" if value is None else str(value)
        selected = ""
        if value in chosen:
            chosen.clear()  # a single select marks the first match only
            selected = " selected"
        return f'\n  <option value="{escape(value)}"{selected}>{escape(label)}</option>'


def lean_selects(form: forms.BaseForm, names: list[str] | None = None) -> forms.BaseForm:
    """Render the form's plain selects (or those named) with LeanSelect."""
    for name, field in form.fields.items():
        if (names is None or name in names) and type(field.widget) is forms.Select:
            field.widget.__class__ = LeanSelect  # same state, only `render` differs
    return form
