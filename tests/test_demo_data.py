"""`manage.py seed_demo` loads the "Get started" data and is safe to run again."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from core import roles
from helpdesk.models import HelpdeskTeam, Ticket
from sales.models import Customer, Product, SaleOrder

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"auth", "core", "sales", "projects", "helpdesk", "timesheets"}
    }


def test_running_it_twice_adds_no_row(capsys):
    call_command("seed_demo")
    first = _row_counts()

    call_command("seed_demo")

    assert _row_counts() == first
    assert first["timesheets.TimesheetEntry"] > 0


def test_it_prints_the_logins_and_they_work(client, capsys):
    call_command("seed_demo")

    output = capsys.readouterr().out
    for username in ("admin", "manager", "staff"):
        assert username in output
        assert client.login(username=username, password=username)


def test_it_loads_the_recommended_setup():
    call_command("seed_demo")

    team = HelpdeskTeam.objects.get(name="Customer Care")
    assert team.use_timesheets and team.project.allow_timesheets
    assert team.project.name == "Helpdesk"
    product = Product.objects.get(name="Support hours")
    assert (product.uom.name, product.invoice_policy, product.service_tracking) == (
        "Hours",
        Product.POLICY_DELIVERY,
        Product.TRACKING_TASK_IN_PROJECT,
    )
    assert product.project == team.project
    assert (product.list_price, product.tax_rate) == (Decimal("90.00"), Decimal("21.00"))
    assert Product.objects.get(name="Support pack 10h").invoice_policy == Product.POLICY_ORDER
    assert Product.objects.get(name="Support days").uom.name == "Days"
    users = get_user_model().objects
    assert users.get(username="admin").is_superuser
    assert users.get(username="manager").groups.filter(name=roles.MANAGER).exists()
    assert users.get(username="staff").groups.filter(name=roles.HELPDESK_USER).exists()


def test_its_hours_reach_the_order_line():
    call_command("seed_demo")

    order = SaleOrder.objects.get(lines__product__name="Support hours")
    line = order.lines.get()
    task = line.tasks.get()
    assert order.state == SaleOrder.SALE
    assert Ticket.objects.filter(task=task).count() == 2
    minutes = sum(e.minutes for e in line.timesheet_entries.all())
    assert minutes > 0
    assert line.delivered_minutes == minutes
    assert line.qty_delivered == line.uom.minutes_to_qty(minutes)


def test_recompute_delivered_finds_nothing_to_fix_after_it(capsys):
    call_command("seed_demo")
    call_command("seed_demo")

    call_command("recompute_delivered", "--check")

    assert "no difference" in capsys.readouterr().out


def test_its_company_and_customers_pass_the_identifier_checks(capsys):
    call_command("seed_demo")

    assert capsys.readouterr().err == ""  # no warning about the Company
    customers = {customer.name: customer for customer in Customer.objects.all()}
    for customer in customers.values():
        customer.full_clean()  # python-stdnum: VAT, registration, Peppol address
        assert customer.street and customer.zip and customer.city and customer.invoice_email
    belgian = [c for c in customers.values() if c.country == "BE"]
    assert belgian and all(c.peppol_scheme == "0208" for c in belgian)
    assert all(c.peppol_id == c.vat.removeprefix("BE") for c in belgian)
    assert customers["Initech B.V."].country == "NL"


def test_its_orders_carry_customer_references_and_a_reverse_charged_line():
    call_command("seed_demo")

    assert all(order.customer_reference for order in SaleOrder.objects.all())
    dutch_line = SaleOrder.objects.get(customer__country="NL").lines.get()
    assert (dutch_line.vat_category, dutch_line.tax_rate) == ("AE", Decimal("0"))
    belgian_line = SaleOrder.objects.filter(customer__country="BE").first().lines.get()
    assert (belgian_line.vat_category, belgian_line.tax_rate) == ("S", Decimal("21.00"))
