"""lean_form renders a form's fields in Python: the same markup as Django's templates."""

import re
from decimal import Decimal

import pytest
from django import forms

from core.forms import LeanBoundField, lean_form
from sales.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


class SampleForm(forms.Form):
    name = forms.CharField(label="Name", help_text="As on the <b>invoice</b>.")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(max_digits=6, decimal_places=2)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    done = forms.BooleanField(required=False)
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False)
    kind = forms.ChoiceField(choices=[("a", "A & co"), ("b", "B")], label="Kind?")


def _markup(form: forms.Form) -> dict[str, str]:
    """Each field group, whitespace between tags ignored; the selects' attributes
    sorted (LeanSelect writes them in flatatt's order)."""

    def normal(html: str) -> str:
        html = re.sub(r">\s+<", "><", str(html)).strip()
        return re.sub(
            r"<select([^>]*)>",
            lambda m: "<select " + " ".join(sorted(m.group(1).split())) + ">",
            html,
        )

    return {name: normal(form[name].as_field_group()) for name in form.fields}


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"name": 'A "quoted" <name>', "note": "line 1\n<b>line 2</b>", "day": "2026-03-02"},
        {"name": "", "amount": "abc", "day": "not a day", "done": "on", "kind": "z"},
    ],
)
def test_a_lean_form_renders_the_same_markup_as_django(data):
    CustomerFactory(name="Acme & Sons")
    initial = {"amount": Decimal("12.50"), "note": "x < y"}
    plain = SampleForm(data, initial=initial)
    lean = lean_form(SampleForm(data, initial=initial))
    if data is not None:
        assert plain.is_valid() == lean.is_valid()
    assert isinstance(lean["name"], LeanBoundField)
    assert _markup(lean) == _markup(plain)


def test_lean_form_after_validation_still_renders_the_errors():
    form = SampleForm({"name": ""})
    assert not form.is_valid()  # the bound fields are built and cached here
    lean_form(form)
    html = form["name"].as_field_group()
    assert "This field is required." in html and 'aria-invalid="true"' in html


def test_a_model_select_reads_its_choices_with_one_plain_query(
    django_assert_num_queries,
):
    CustomerFactory.create_batch(3)
    form = lean_form(SampleForm())
    with django_assert_num_queries(1) as captured:
        html = str(form["customer"])
    # Not a server-side cursor (DECLARE ... CURSOR on PostgreSQL): one round trip.
    assert "DECLARE" not in captured.captured_queries[0]["sql"]
    assert html.count("<option") == 4
