"""Shared serializer pieces: ids that never overflow the database, decimal shapes."""

from fractions import Fraction

from rest_framework import serializers

from api.filters import MAX_ID
from core.numbers import round_half_up


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
