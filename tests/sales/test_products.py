"""Model validation of service products (DOMAIN.md rule 5) and customers."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from sales.models import Product
from tests.factories import CustomerFactory, ProductFactory, ProjectFactory, uom

pytestmark = pytest.mark.django_db


def _errors(instance) -> dict:
    with pytest.raises(ValidationError) as error:
        instance.full_clean()
    return error.value.message_dict


def test_the_recommended_setup_is_valid():
    product = ProductFactory.build(project=ProjectFactory())

    product.full_clean()

    assert product.invoice_policy == Product.POLICY_DELIVERY
    assert product.service_tracking == Product.TRACKING_TASK_IN_PROJECT


def test_a_task_in_an_existing_project_needs_the_project():
    product = ProductFactory.build(project=None)

    assert "project" in _errors(product)


def test_only_a_service_creates_tasks():
    product = ProductFactory.build(project=ProjectFactory(), type=Product.CONSUMABLE)

    assert "service_tracking" in _errors(product)


def test_a_consumable_without_tracking_is_valid():
    product = ProductFactory.build(
        project=None,
        type=Product.CONSUMABLE,
        service_tracking=Product.TRACKING_NO,
        uom=uom("Units"),
    )

    product.full_clean()


def test_a_service_that_creates_tasks_is_sold_in_working_time():
    product = ProductFactory.build(project=ProjectFactory(), uom=uom("Units"))

    assert "uom" in _errors(product)


def test_a_task_in_a_new_project_needs_no_project():
    product = ProductFactory.build(project=None, service_tracking=Product.TRACKING_TASK_NEW_PROJECT)

    product.full_clean()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("list_price", Decimal("-1")),
        ("tax_rate", Decimal("-0.01")),
        ("tax_rate", Decimal("100.01")),
        ("invoice_policy", "whatever"),
        ("service_tracking", "whatever"),
    ],
)
def test_it_refuses_out_of_range_values(field, value):
    product = ProductFactory.build(project=ProjectFactory(), **{field: value})

    assert field in _errors(product)


def test_a_customer_prints_its_address_on_lines():
    customer = CustomerFactory.build(
        street="12 Client Road", street2="Box 3", zip="9000", city="Ghent", country="BE"
    )

    assert customer.address_lines == ["12 Client Road", "Box 3", "9000 Ghent", "Belgium"]


def test_payment_terms_are_bounded():
    customer = CustomerFactory.build(payment_terms_days=5000)

    assert "payment_terms_days" in _errors(customer)
