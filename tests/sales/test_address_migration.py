"""Migration sales 0006 splits free-text customer addresses into structured fields and
lists what it could not parse (issue 15)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sales.addresses import parse_country, split_street, split_zip_city
from sales.models import Customer as NewCustomer

BEFORE = [("sales", "0005_line_amount_bounds")]
AFTER = [("sales", "0006_structured_customers_vat")]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Belgium", "BE"),
        ("belgië", "BE"),
        ("BE", "BE"),
        ("NLD", "NL"),
        ("The Netherlands", "NL"),
        ("Deutschland", "DE"),
        ("", ""),
        ("Atlantis", None),
    ],
)
def test_countries_typed_as_names_become_codes(text, code):
    assert parse_country(text) == code


def test_postcode_in_the_city_and_streets_on_two_lines_are_split():
    assert split_zip_city("", "1000 Brussels") == ("1000", "Brussels")
    assert split_zip_city("", "1012 AB Amsterdam") == ("1012 AB", "Amsterdam")
    assert split_zip_city("", "Brussels") == ("", "Brussels")
    assert split_zip_city("9000", "Ghent") == ("9000", "Ghent")
    assert split_street("Rue Haute 5\nBox 2") == ("Rue Haute 5", "Box 2")
    assert split_street("Rue Haute 5") == ("Rue Haute 5", "")


@pytest.mark.django_db(transaction=True)
def test_the_migration_structures_old_addresses_and_lists_the_rest(capsys):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old_apps = executor.loader.project_state(BEFORE).apps
        Customer = old_apps.get_model("sales", "Customer")
        parsed = Customer.objects.create(
            name="Parsed", street="Rue Haute 5\nBox 2", city="1000 Brussels", country="Belgium"
        )
        unknown = Customer.objects.create(name="Lost", city="Ghent", country="Middle Earth")
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    parsed = NewCustomer.objects.get(pk=parsed.pk)
    assert (parsed.street, parsed.street2, parsed.zip, parsed.city, parsed.country) == (
        "Rue Haute 5",
        "Box 2",
        "1000",
        "Brussels",
        "BE",
    )
    assert NewCustomer.objects.get(pk=unknown.pk).country == ""
    output = capsys.readouterr().out
    assert "1 customer address(es) could not be parsed" in output
    assert f"{unknown.pk} Lost: country 'Middle Earth'" in output
