"""Units of measure: conversion inside a category, rounded half-up once at the target unit."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.models import AppSettings
from sales.models import Uom, UomCategory
from sales.selectors import effective_uom
from tests.factories import ProductFactory, uom

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("qty", "source", "target", "expected"),
    [
        ("2", "Days", "Hours", "16.00"),
        ("3", "Hours", "Days", "0.38"),  # 0.375 rounds half-up
        ("1", "Hours", "Days", "0.13"),  # 0.125 rounds half-up, not to even
        ("4", "Hours", "Days", "0.50"),
        ("20", "Minutes", "Hours", "0.33"),
        ("30", "Minutes", "Hours", "0.50"),
        ("1.5", "Hours", "Minutes", "90.00"),
        ("1", "Days", "Minutes", "480.00"),
        ("90", "Minutes", "Days", "0.19"),  # 0.1875
        ("0", "Days", "Hours", "0.00"),
    ],
)
def test_it_converts_working_time_rounding_half_up_at_the_target_precision(
    qty, source, target, expected
):
    result = uom(source).convert(Decimal(qty), uom(target))

    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -2  # rounded to the unit's 0.01, not finer


def test_it_refuses_to_convert_across_categories():
    with pytest.raises(ValidationError, match="categories differ"):
        uom("Hours").convert(Decimal("1"), uom("Units"))


def test_working_time_units_come_from_a_migration_with_days_of_eight_hours():
    assert uom("Hours").uom_type == Uom.REFERENCE
    assert uom("Days").factor == Decimal("8")
    assert uom("Minutes").factor == Decimal("0.016667")
    assert {u.category.name for u in Uom.objects.filter(name__in=["Hours", "Days", "Minutes"])} == {
        "Working time"
    }


@pytest.mark.parametrize(
    ("minutes", "unit", "expected"),
    [
        (20, "Hours", "0.33"),
        (180, "Days", "0.38"),  # three 1-hour entries summed first: 0.375 -> 0.38
        (60, "Days", "0.13"),
        (720, "Days", "1.50"),
        (0, "Hours", "0.00"),
    ],
)
def test_minutes_become_a_quantity_rounded_once(minutes, unit, expected):
    assert uom(unit).minutes_to_qty(minutes) == Decimal(expected)


def test_a_unit_rounds_at_its_own_precision():
    category = UomCategory.objects.get(name="Working time")
    half_days = Uom.objects.create(
        name="Half days",
        category=category,
        uom_type=Uom.BIGGER,
        ratio=Decimal("4"),
        rounding=Decimal("1"),
    )
    half_days.refresh_from_db()

    assert uom("Hours").convert(Decimal("6"), half_days) == Decimal("2")  # 1.5 -> 2
    assert uom("Hours").convert(Decimal("5"), half_days) == Decimal("1")  # 1.25 -> 1


def test_a_reference_unit_must_have_a_ratio_of_one():
    unit = Uom(
        name="Seconds as reference",
        category=UomCategory.objects.create(name="Seconds"),
        uom_type=Uom.REFERENCE,
        ratio=Decimal("60"),
    )

    with pytest.raises(ValidationError) as error:
        unit.full_clean()

    assert "ratio" in error.value.message_dict


def test_with_units_of_measure_off_every_working_time_product_is_sold_in_hours():
    product = ProductFactory(uom=uom("Days"))
    settings_row = AppSettings.load()

    assert effective_uom(product) == uom("Days")

    settings_row.uom_enabled = False
    settings_row.save()

    assert effective_uom(product) == uom("Hours")
