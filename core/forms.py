from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

from core.models import AppSettings
from core.numbers import LOOSE_NUMBER_MESSAGE, is_loose_number


class UserChoiceField(forms.ModelChoiceField):
    """A user shown by full name (username when it has none)."""

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class PlainDecimalField(forms.DecimalField):
    """A DecimalField typed with the ASCII digits 0-9: Django's reads "１２" as 12 and
    "1_000" as 1000 (Decimal() does), which nobody means."""

    def to_python(self, value):
        if isinstance(value, str) and is_loose_number(value.strip()):
            raise ValidationError(LOOSE_NUMBER_MESSAGE, code="invalid")
        return super().to_python(value)


class PlainIntegerField(forms.IntegerField):
    """An IntegerField typed with the ASCII digits 0-9 (Django's reads "１２" as 12)."""

    def to_python(self, value):
        if isinstance(value, str) and is_loose_number(value.strip()):
            raise ValidationError(LOOSE_NUMBER_MESSAGE, code="invalid")
        return super().to_python(value)


class ConfigurationForm(forms.ModelForm):
    """The two feature switches of the seed's Settings pages, and the lock date (rule 34)."""

    class Meta:
        model = AppSettings
        fields = ["timesheets_enabled", "uom_enabled", "timesheets_locked_up_to"]
        widgets = {
            "timesheets_locked_up_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        }


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

    def render(self, name, value, attrs=None, renderer=None):  # noqa: ARG002 (Widget.render)
        attrs = self.build_attrs(self.attrs, attrs)
        chosen = set(self.format_value(value))
        out = [f"<select{flatatt({'name': name, **attrs})}>"]
        for option_value, option_label in self._option_pairs():
            if isinstance(option_label, (list, tuple)):
                out.append(f'\n  <optgroup label="{escape(option_value)}">')
                for sub_value, sub_label in option_label:
                    out.append(self._option(sub_value, sub_label, chosen))
                out.append("\n  </optgroup>")
            else:
                out.append(self._option(option_value, option_label, chosen))
        out.append("\n</select>")
        return mark_safe("".join(out))  # noqa: S308 - every value above is escaped

    def _option_pairs(self):
        """The choices; a model field's read in one round trip. Django's iterator() opens a
        server-side cursor on PostgreSQL (DECLARE, FETCH, CLOSE): three per select."""
        choices = self.choices
        if not isinstance(choices, ModelChoiceIterator):
            return choices
        field = choices.field
        head = [] if field.empty_label is None else [("", field.empty_label)]
        return head + [choices.choice(obj) for obj in choices.queryset]

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


# Django renders every input, label and field group through the template engine: about
# 0.1 ms a widget and 0.8 ms a field group, 5-10 ms for a form of ten fields, more than
# the page's queries. The classes below give the same markup, joined in Python.

_INPUT_TEMPLATES = {
    f"django/forms/widgets/{name}.html"
    for name in ("input", "text", "date", "number", "email", "url", "password", "hidden")
}
_TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"


def _attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: True -> a bare attribute, False -> none."""
    out = []
    for name, value in attrs.items():
        if value is True:
            out.append(f" {name}")
        elif value is not False:
            out.append(f' {name}="{conditional_escape(value)}"')
    return "".join(out)


class _LeanWidget:
    """Mixed into an input or textarea widget: the default templates, in Python."""

    def _render(self, template_name, context, renderer=None):
        widget = context["widget"]
        name = conditional_escape(widget["name"])
        attrs = _attrs_html(widget["attrs"])
        value = widget["value"]
        if template_name == _TEXTAREA_TEMPLATE:
            text = conditional_escape(value) if value else ""
            return mark_safe(f'<textarea name="{name}"{attrs}>\n{text}</textarea>')  # noqa: S308
        if template_name in _INPUT_TEMPLATES:
            shown = "" if value is None else f' value="{conditional_escape(value)}"'
            html = f'<input type="{widget["type"]}" name="{name}"{shown}{attrs}>'
            return mark_safe(html)  # noqa: S308 - escaped above
        return super()._render(template_name, context, renderer)


_lean_classes: dict[type, type] = {}


def _lean_class(cls: type) -> type:
    if cls not in _lean_classes:
        _lean_classes[cls] = type(f"Lean{cls.__name__}", (_LeanWidget, cls), {})
    return _lean_classes[cls]


class LeanBoundField(BoundField):
    """A field group (label, help text, errors, widget) as django/forms/field.html has it."""

    def as_field_group(self):
        if self.use_fieldset:
            return super().as_field_group()
        parts = []
        if self.label:
            parts.append(self._label_html())
        if self.help_text:
            helptext_id = f' id="{self.auto_id}_helptext"' if self.auto_id else ""
            parts.append(f'<div class="helptext"{helptext_id}>{self.help_text}</div>')
        if self.errors:
            parts.append(str(self.errors))
        parts.append(str(self))
        return mark_safe("\n".join(parts))  # noqa: S308 - label escaped, help text is ours

    def _label_html(self) -> str:
        contents = conditional_escape(self.label)
        field, form = self.field, self.form
        suffix = field.label_suffix if field.label_suffix is not None else form.label_suffix
        if suffix and contents and contents[-1] not in ":?.!":
            contents = f"{contents}{conditional_escape(suffix)}"
        id_ = field.widget.attrs.get("id") or self.auto_id
        if not id_:
            return contents
        attrs = {}
        id_for_label = field.widget.id_for_label(id_)
        if id_for_label:
            attrs["for"] = id_for_label
        if field.required and getattr(form, "required_css_class", None):
            attrs["class"] = form.required_css_class
        return f"<label{_attrs_html(attrs)}>{contents}</label>"


def lean_form(form: forms.BaseForm) -> forms.BaseForm:
    """The form's selects, inputs, textareas and field groups rendered in Python (same
    markup as Django's templates). Only where B2 measured it to pay (issue 14): the order
    page's four forms, the ticket form and the entries panel's forms; elsewhere
    `lean_selects` does what matters (the long selects)."""
    lean_selects(form)
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, (forms.widgets.Input, forms.Textarea)) and (
            widget.template_name in _INPUT_TEMPLATES or widget.template_name == _TEXTAREA_TEMPLATE
        ):
            widget.__class__ = _lean_class(type(widget))
    form.bound_field_class = LeanBoundField
    form._bound_fields_cache.clear()  # built before (by is_valid) with the plain class
    return form
