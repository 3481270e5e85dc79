"""Query-string filters for list endpoints, validated (bad values -> 400) and documented.

A viewset lists them: `query_filters = [IdFilter("customer"), ChoiceFilter("state", ...)]`.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

MAX_ID = 2**63 - 1


def choice_values(choices) -> tuple[str, ...]:
    """The stored values of Django `choices` pairs."""
    return tuple(value for value, _label in choices)


@dataclass(frozen=True)
class QueryFilter:
    name: str
    lookup: str = ""
    description: str = ""

    @property
    def field_lookup(self) -> str:
        return self.lookup or self.name

    def parse(self, raw: str):
        return raw

    def apply(self, queryset: QuerySet, value) -> QuerySet:
        return queryset.filter(**{self.field_lookup: value})

    def schema(self) -> dict:
        return {"type": "string"}

    def parameter(self) -> dict:
        return {
            "name": self.name,
            "required": False,
            "in": "query",
            "description": self.description or f"Filter by {self.name.replace('_', ' ')}.",
            "schema": self.schema(),
        }

    def invalid(self, message: str) -> ValidationError:
        return ValidationError({self.name: [message]})


@dataclass(frozen=True)
class IdFilter(QueryFilter):
    def parse(self, raw: str) -> int:
        if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_ID:
            raise self.invalid(f"“{raw}” is not a valid id.")
        return int(raw)

    def schema(self) -> dict:
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


@dataclass(frozen=True)
class ChoiceFilter(QueryFilter):
    choices: tuple[str, ...] = field(default=())

    def parse(self, raw: str) -> str:
        if raw not in self.choices:
            raise self.invalid(f"“{raw}” is not one of {', '.join(self.choices)}.")
        return raw

    def schema(self) -> dict:
        return {"type": "string", "enum": list(self.choices)}


@dataclass(frozen=True)
class NullableChoiceFilter(ChoiceFilter):
    """A choice, or `none` for the rows where the field is null."""

    NONE = "none"

    def parse(self, raw: str) -> str:
        if raw == self.NONE:
            return raw
        return super().parse(raw)

    def apply(self, queryset: QuerySet, value: str) -> QuerySet:
        if value == self.NONE:
            return queryset.filter(**{f"{self.field_lookup}__isnull": True})
        return super().apply(queryset, value)

    def schema(self) -> dict:
        return {"type": "string", "enum": [*self.choices, self.NONE]}


@dataclass(frozen=True)
class DateFilter(QueryFilter):
    def parse(self, raw: str) -> datetime.date:
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            raise self.invalid(f"“{raw}” is not a date (YYYY-MM-DD).") from None

    def schema(self) -> dict:
        return {"type": "string", "format": "date"}


@dataclass(frozen=True)
class BoolFilter(QueryFilter):
    """`true`/`false`; `when_true` is the Q the true value selects (false selects its negation)."""

    when_true: Q = field(default_factory=Q)

    def parse(self, raw: str) -> bool:
        value = raw.lower()
        if value not in ("true", "false", "1", "0"):
            raise self.invalid(f"“{raw}” is not true or false.")
        return value in ("true", "1")

    def apply(self, queryset: QuerySet, value: bool) -> QuerySet:
        return queryset.filter(self.when_true) if value else queryset.exclude(self.when_true)

    def schema(self) -> dict:
        return {"type": "boolean"}


class QueryFilterBackend(BaseFilterBackend):
    def filter_queryset(self, request, queryset, view):
        for query_filter in getattr(view, "query_filters", ()):
            raw = request.query_params.get(query_filter.name)
            if raw is None or raw == "":
                continue
            queryset = query_filter.apply(queryset, query_filter.parse(raw))
        return queryset

    def get_schema_operation_parameters(self, view):
        return [f.parameter() for f in getattr(view, "query_filters", ())]
