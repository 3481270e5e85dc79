"""Exact arithmetic helpers: half-up rounding, H:MM durations."""

from decimal import Decimal
from fractions import Fraction

import pytest

from core.numbers import format_hours, format_minutes, money, parse_duration, round_half_up


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.125"), "0.13"),
        (Decimal("0.135"), "0.14"),
        (Decimal("0.005"), "0.01"),
        (Decimal("-0.125"), "-0.13"),
        (Fraction(1, 8), "0.13"),
        (Fraction(1, 3), "0.33"),
        (2, "2.00"),
    ],
)
def test_money_rounds_half_up_to_the_cent(value, expected):
    assert money(value) == Decimal(expected)


def test_round_half_up_takes_a_precision():
    assert round_half_up(Decimal("2.5"), Decimal("1")) == Decimal("3")
    assert round_half_up(Fraction(7, 8), Decimal("0.1")) == Decimal("0.9")


@pytest.mark.parametrize(
    ("minutes", "shown"), [(0, "0:00"), (20, "0:20"), (90, "1:30"), (1440, "24:00"), (-60, "-1:00")]
)
def test_minutes_show_as_h_mm(minutes, shown):
    assert format_minutes(minutes) == shown


def test_hours_show_as_h_mm_to_the_minute():
    assert format_hours(Decimal("6")) == "6:00"
    assert format_hours(Decimal("-1")) == "-1:00"
    assert format_hours(Decimal("0.33")) == "0:20"
    assert format_hours(None) == "0:00"


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("1:30", 90), ("1.5", 90), ("1,5", 90), ("90m", 90), ("2h", 120), (" 0:05 ", 5)],
)
def test_it_parses_durations(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["", "abc", "1:75", "nan", "1:-5"])
def test_it_refuses_what_is_not_a_duration(text):
    with pytest.raises(ValueError):
        parse_duration(text)
