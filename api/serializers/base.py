"""Shared serializer pieces: ids that never overflow the database, decimal shapes."""

from fractions import Fraction

from django_countries import countries
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.filters import MAX_ID
from core.numbers import LOOSE_NUMBER_MESSAGE, is_loose_number, round_half_up


def refuse_loose(data) -> None:
    """DRF reads "１２" as 12 and "1_000" as 1000 (int(), Decimal(), parse_date): refused."""
    if isinstance(data, str) and is_loose_number(data):
        raise serializers.ValidationError(LOOSE_NUMBER_MESSAGE)


class PlainIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        refuse_loose(data)
        return super().to_internal_value(data)


class PlainDecimalField(serializers.DecimalField):
    def to_internal_value(self, data):
        refuse_loose(data)
        return super().to_internal_value(data)


class PlainDateField(serializers.DateField):
    def to_internal_value(self, value):
        if isinstance(value, str) and not value.isascii():
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


# What a model field becomes on input: the plain (ASCII-only) kinds above.
_PLAIN = {
    serializers.IntegerField: PlainIntegerField,
    serializers.DecimalField: PlainDecimalField,
    serializers.DateField: PlainDateField,
}


class CountryCodeField(serializers.ChoiceField):
    """An ISO 3166-1 alpha-2 code ("BE"), nothing else: django-countries' own field also
    reads names ("Belgium"), which the schema's enum does not promise."""

    default_error_messages = {
        "invalid_choice": '"{input}" is not an ISO 3166-1 alpha-2 country code (e.g. BE, NL).'
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "ISO 3166-1 alpha-2 country code, e.g. BE.")
        super().__init__(choices=list(countries), **kwargs)
        # The codes alone in the schema: drf-spectacular would list the 249 names in the
        # description of every field using them.
        codes = sorted(code for code, _name in countries)
        self._spectacular_annotation = {
            "field": {"type": "string", "enum": [*codes, ""] if self.allow_blank else codes}
        }

    def to_representation(self, value):
        return str(value or "")


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id; out-of-range integers are refused as 400, not a database overflow."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        text = str(data)
        if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(int(text))


class ApiModelSerializer(serializers.ModelSerializer):
    serializer_related_field = IdRelatedField
    serializer_field_mapping = {
        model_field: _PLAIN.get(field, field)
        for model_field, field in serializers.ModelSerializer.serializer_field_mapping.items()
    }


def read_decimal(**kwargs) -> serializers.DecimalField:
    """A read-only amount or quantity, always a string with 2 decimals ("1.50")."""
    return serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, **kwargs)


class MinutesAsHoursField(serializers.DecimalField):
    """Whole minutes (an annotation) shown as hours with 2 decimals: 90 -> "1.50"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(max_digits=14, decimal_places=2, **kwargs)

    def to_representation(self, value):
        return super().to_representation(round_half_up(Fraction(int(value or 0), 60)))


def named_choice_field(name: str, choices) -> type[serializers.ChoiceField]:
    """A choice field with its own schema component `name` (two fields of one name but
    other choices, such as tasks' and tickets' stages, would otherwise collide)."""
    values = [value for value, _label in choices]
    field = type(name, (serializers.ChoiceField,), {})
    return extend_schema_field({"type": "string", "enum": values}, component_name=name)(field)
