"""An order line's rounding rule (DOMAIN.md rule 29) and rate fields (rule 30) in the sales
services and the order page: copied from the product, edited, checked, and announced to
timesheets (`sales.events.line_billing_changed`) inside the writing transaction."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from core.errors import ConflictError
from sales import events, services
from sales.models import RoundingMode, SaleOrderLine, WorkType
from tests.builders import (
    build_order,
    build_product,
    build_untracked_product,
    build_work_type,
    refreshed,
)
from tests.factories import CustomerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def announced():
    """The `line_billing_changed` signals sent, each with whether a transaction was open."""
    sent = []

    def record(sender, line_ids, **kwargs):
        sent.append((list(line_ids), transaction.get_connection().in_atomic_block))

    events.line_billing_changed.connect(record, dispatch_uid="test_announced")
    yield sent
    events.line_billing_changed.disconnect(dispatch_uid="test_announced")


@pytest.fixture
def quotation():
    return services.order_create(customer=CustomerFactory())


def _rule(line: SaleOrderLine) -> tuple:
    return (line.rounding_increment, line.rounding_mode, line.minimum_minutes)


# --- rule 29: copied when the line is created -----------------------------------------------


def test_a_new_line_copies_its_products_rounding_rule(quotation, announced):
    product = build_product(rounding_increment=15, rounding_mode="nearest", minimum_minutes=30)

    line = services.order_line_add(order=quotation, product=product, quantity="2")

    assert _rule(refreshed(line)) == (15, "nearest", 30)
    assert announced == []  # a plain new line has no entries to re-bill


def test_a_rule_given_with_the_line_wins_over_the_products(quotation):
    product = build_product(rounding_increment=15, minimum_minutes=30)

    line = services.order_line_add(
        order=quotation, product=product, quantity="2", rounding_increment=6, minimum_minutes=0
    )

    assert _rule(refreshed(line)) == (6, "up", 0)


def test_a_line_keeps_its_rule_when_the_product_changes(quotation):
    product = build_product(rounding_increment=15)
    line = services.order_line_add(order=quotation, product=product, quantity="2")

    product.rounding_increment = 30
    product.save()

    assert refreshed(line).rounding_increment == 15


def test_a_changed_rule_is_announced_inside_the_transaction(announced):
    line = build_order().lines.get()

    services.order_line_update(
        line=line, rounding_increment=15, rounding_mode=RoundingMode.NEAREST, minimum_minutes=30
    )

    assert _rule(refreshed(line)) == (15, "nearest", 30)
    assert announced == [([line.pk], True)]


def test_an_edit_that_keeps_the_rule_announces_nothing(announced):
    line = build_order().lines.get()

    services.order_line_update(line=line, description="Support, March", rounding_increment=1)

    assert announced == []
    assert refreshed(line).description == "Support, March"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rounding_increment": 0}, "rounding_increment"),
        ({"rounding_increment": 1441}, "rounding_increment"),
        ({"rounding_increment": "１５"}, "rounding_increment"),
        ({"rounding_increment": True}, "rounding_increment"),
        ({"rounding_mode": "down"}, "rounding_mode"),
        ({"minimum_minutes": -1}, "minimum_minutes"),
        ({"minimum_minutes": "abc"}, "minimum_minutes"),
    ],
)
def test_a_bad_rule_is_refused_on_its_field(fields, field, announced):
    line = build_order().lines.get()

    with pytest.raises(ValidationError) as error:
        services.order_line_update(line=line, **fields)

    assert field in error.value.message_dict
    assert _rule(refreshed(line)) == (1, "up", 0)
    assert announced == []


# --- rule 30: rate lines -------------------------------------------------------------------


def test_a_rate_line_added_to_a_confirmed_order_is_announced(announced):
    after_hours = build_work_type(name="After hours")
    order = build_order()
    product = order.lines.get().product

    line = services.order_line_add(
        order=order, product=product, quantity="0", price_unit="150", rate_work_type=after_hours
    )

    assert refreshed(line).rate_work_type == after_hours
    assert announced == [([line.pk], True)]


def test_a_quotation_may_have_rate_lines_for_later(quotation):
    employee = StaffUserFactory()
    after_hours = build_work_type(name="After hours")
    line = services.order_line_add(
        order=quotation,
        product=build_product(),
        quantity="1",
        rate_work_type=after_hours,
        rate_employee=employee,
    )
    line = refreshed(line)
    assert (line.rate_work_type, line.rate_employee, line.is_rate_line) == (
        after_hours,
        employee,
        True,
    )


def test_setting_and_clearing_a_rate_is_announced_and_leaving_it_out_keeps_it(announced):
    after_hours = build_work_type(name="After hours")
    employee = StaffUserFactory()
    line = build_order().lines.get()

    services.order_line_update(line=line, rate_work_type=after_hours, rate_employee=employee)
    services.order_line_update(line=line, quantity="12")  # rate fields left out: kept
    kept = refreshed(line)
    services.order_line_update(line=line, rate_work_type=None)

    assert (kept.rate_work_type, kept.rate_employee) == (after_hours, employee)
    cleared = refreshed(line)
    assert (cleared.rate_work_type, cleared.rate_employee) == (None, employee)
    assert announced == [([line.pk], True), ([line.pk], True)]


def test_a_rate_line_bills_time_so_its_unit_is_working_time(quotation, announced):
    product = build_untracked_product(unit="Units", price="50", tax="21")

    with pytest.raises(ValidationError) as error:
        services.order_line_add(
            order=quotation,
            product=product,
            quantity="1",
            rate_work_type=build_work_type(name="After hours"),
        )

    assert "Working time" in error.value.message_dict["rate_work_type"][0]
    assert not quotation.lines.exists()
    assert announced == []


def test_a_line_in_days_may_be_a_rate_line(quotation):
    line = services.order_line_add(
        order=quotation,
        product=build_product(unit="Days", price="800"),
        quantity="1",
        rate_employee=StaffUserFactory(),
    )
    assert refreshed(line).is_rate_line


def test_a_rate_employee_must_be_an_active_user():
    line = build_order().lines.get()
    gone = StaffUserFactory(is_active=False)

    with pytest.raises(ValidationError) as error:
        services.order_line_update(line=line, rate_employee=gone)

    assert "rate_employee" in error.value.message_dict
    assert refreshed(line).rate_employee is None


def test_an_archived_work_type_is_no_new_rate_but_a_line_keeps_its_own():
    after_hours = build_work_type(name="After hours")
    line = build_order().lines.get()
    services.order_line_update(line=line, rate_work_type=after_hours)
    WorkType.objects.filter(pk=after_hours.pk).update(active=False)
    old = WorkType.objects.create(name="Old", active=False)

    services.order_line_update(line=line, quantity="11")  # keeps its archived rate
    with pytest.raises(ValidationError) as error:
        services.order_line_update(line=line, rate_work_type=old)

    assert "rate_work_type" in error.value.message_dict
    assert refreshed(line).rate_work_type == after_hours


def test_the_lines_of_a_cancelled_order_keep_their_rate():
    order = build_order()
    line = order.lines.get()
    services.order_cancel(order=order)

    with pytest.raises(ConflictError):
        services.order_line_update(line=line, rate_work_type=build_work_type(name="After hours"))


# --- the order page ------------------------------------------------------------------------


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


def test_the_add_line_form_takes_the_products_rule_or_the_one_typed(as_manager, quotation):
    product = build_product(rounding_increment=15, minimum_minutes=30)
    url = reverse("sales:line_add", args=[quotation.pk])

    as_manager.post(url, {"new-product": product.pk, "new-quantity": "1"}, **HTMX)
    as_manager.post(
        url,
        {
            "new-product": product.pk,
            "new-quantity": "1",
            "new-rounding_increment": "6",
            "new-rounding_mode": "nearest",
            "new-minimum_minutes": "0",
        },
        **HTMX,
    )

    first, second = quotation.lines.order_by("pk")
    assert _rule(first) == (15, "up", 30)
    assert _rule(second) == (6, "nearest", 0)


def test_the_add_line_form_labels_the_billing_fields(as_manager, quotation):
    build_work_type(name="After hours")
    html = as_manager.get(reverse("sales:order_detail", args=[quotation.pk])).content.decode()
    for label in (
        "Rounding increment (minutes)",
        "Rounding",
        "Minimum per entry (minutes)",
        "Rate line for work type",
        "Rate line for employee",
    ):
        assert f"{label}:</label>" in html, label
    assert "After hours" in html


def test_the_edit_form_sets_a_rate_and_the_page_shows_it_with_the_rule(as_manager, announced):
    after_hours = build_work_type(name="After hours")
    employee = StaffUserFactory(first_name="Jane", last_name="Doe")
    line = build_order().lines.get()
    prefix = f"line{line.pk}"

    response = as_manager.post(
        reverse("sales:line_update", args=[line.pk]),
        {
            f"{prefix}-description": line.description,
            f"{prefix}-quantity": "10",
            f"{prefix}-price_unit": "150",
            f"{prefix}-tax_rate": "21",
            f"{prefix}-rounding_increment": "15",
            f"{prefix}-rounding_mode": "up",
            f"{prefix}-minimum_minutes": "30",
            f"{prefix}-rate_work_type": after_hours.pk,
            f"{prefix}-rate_employee": employee.pk,
        },
        **HTMX,
    )

    assert response.status_code == 200
    line = refreshed(line)
    assert (line.rate_work_type, line.rate_employee, _rule(line)) == (
        after_hours,
        employee,
        (15, "up", 30),
    )
    html = response.content.decode()
    assert "Rate line for After hours, Jane Doe" in html
    assert "Rounding: Up 15 min, minimum 30 min" in html
    assert announced == [([line.pk], True)]


def test_a_rate_line_in_units_is_a_form_error_on_the_page(as_manager, quotation):
    product = build_untracked_product(unit="Units", price="50", tax="21")
    after_hours = build_work_type(name="After hours")

    response = as_manager.post(
        reverse("sales:line_add", args=[quotation.pk]),
        {"new-product": product.pk, "new-quantity": "1", "new-rate_work_type": after_hours.pk},
    )

    assert response.status_code == 400
    assert "Working time" in str(response.context["line_form"].errors["rate_work_type"])
    assert not quotation.lines.exists()


def test_a_bad_increment_typed_is_a_form_error(as_manager):
    line = build_order().lines.get()
    prefix = f"line{line.pk}"
    response = as_manager.post(
        reverse("sales:line_update", args=[line.pk]),
        {
            f"{prefix}-description": line.description,
            f"{prefix}-quantity": "10",
            f"{prefix}-price_unit": "100",
            f"{prefix}-tax_rate": "21",
            f"{prefix}-rounding_increment": "１５",
        },
    )
    assert response.status_code == 400
    assert response.context["edit_form"].errors["rounding_increment"]
    assert refreshed(line).rounding_increment == 1


def test_an_archived_work_type_is_not_offered_for_a_new_rate(as_manager, quotation):
    WorkType.objects.create(name="Retired type", active=False)
    build_work_type(name="After hours")
    html = as_manager.get(reverse("sales:order_detail", args=[quotation.pk])).content.decode()
    assert "After hours" in html and "Retired type" not in html


def test_an_order_with_rate_lines_keeps_its_query_count(as_manager, django_assert_max_num_queries):
    order = build_order()
    product = order.lines.get().product
    for n in range(5):
        services.order_line_add(
            order=order,
            product=product,
            quantity="0",
            rate_work_type=build_work_type(name=f"Type {n}"),
            rate_employee=StaffUserFactory(),
        )
    with django_assert_max_num_queries(20):
        response = as_manager.get(reverse("sales:order_detail", args=[order.pk]))
    assert response.status_code == 200
    assert response.content.decode().count("Rate line for Type") == 5
    assert Decimal(str(order.lines.count())) == 6
