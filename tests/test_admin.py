"""Django admin: every page loads, and writes go through the services (no bypassed rollup)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from core.models import AppSettings
from helpdesk.models import HelpdeskTeam, Ticket
from projects.models import Task
from sales.models import Product, SaleOrder
from sales.services import order_confirm, order_create
from tests.builders import build_order_line, build_product, build_ticket
from tests.factories import (
    AdminFactory,
    CustomerFactory,
    ProductFactory,
    ProjectFactory,
    StaffUserFactory,
    TeamFactory,
    TicketFactory,
    uom,
)
from timesheets.models import TimesheetEntry
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name) for model in admin.site._registry
)
OUR_APPS = {"core", "sales", "projects", "helpdesk", "timesheets"}


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory(username="root"))
    return client


def _inline_management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.fixture
def confirmed_line():
    """A confirmed order of 10 Support hours (Delivered policy) and its task."""
    return build_order_line(product=build_product(name="Support hours"), quantity=10)


def test_every_model_of_our_apps_is_registered():
    apps = {app for app, _ in REGISTERED}
    assert apps >= OUR_APPS
    names = {name for _, name in REGISTERED}
    assert {
        "appsettings",
        "uom",
        "uomcategory",
        "customer",
        "product",
        "saleorder",
        "saleorderline",
        "project",
        "task",
        "helpdeskteam",
        "ticket",
        "timesheetentry",
    } <= names


@pytest.mark.parametrize(("app", "model"), REGISTERED)
def test_changelist_and_add_pages_load(admin_client, app, model):
    TicketFactory()  # something in most lists

    changelist = admin_client.get(reverse(f"admin:{app}_{model}_changelist"), follow=True)
    add = admin_client.get(reverse(f"admin:{app}_{model}_add"))

    assert changelist.status_code == 200
    assert add.status_code in (200, 403)  # 403: this model is never added by hand


def test_change_pages_load_for_the_demo_objects(admin_client, confirmed_line):
    ticket = TicketFactory(team=TeamFactory(project=confirmed_line.product.project))
    entry = timesheet_log(
        employee=StaffUserFactory(), date=datetime.date.today(), minutes=60, ticket=ticket
    )
    task = confirmed_line.tasks.get()
    for obj in [confirmed_line.order, confirmed_line, task, ticket, entry, ticket.team]:
        opts = obj._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert admin_client.get(url).status_code == 200, url


def test_settings_are_one_row_edited_in_place(admin_client):
    response = admin_client.get(reverse("admin:core_appsettings_changelist"))
    assert response.status_code == 302
    assert response.url == reverse("admin:core_appsettings_change", args=[1])

    response = admin_client.post(
        reverse("admin:core_appsettings_change", args=[1]), {"timesheets_enabled": "on"}
    )

    assert response.status_code == 302
    settings_row = AppSettings.load()
    assert settings_row.timesheets_enabled and not settings_row.uom_enabled
    assert admin_client.get(reverse("admin:core_appsettings_add")).status_code == 403


def test_a_team_with_timesheet_on_ticket_is_refused_a_project_without_timesheets(admin_client):
    project = ProjectFactory(name="Internal", allow_timesheets=False)
    member = StaffUserFactory()
    data = {"name": "Customer Care", "use_timesheets": "on", "project": project.pk}

    response = admin_client.post(
        reverse("admin:helpdesk_helpdeskteam_add"), {**data, "members": [member.pk]}
    )

    assert response.status_code == 200
    assert "does not allow timesheets" in response.content.decode()
    assert not HelpdeskTeam.objects.exists()


def test_an_admin_creates_a_team_with_timesheet_on_ticket_and_members(admin_client):
    project = ProjectFactory(name="Helpdesk")
    member = StaffUserFactory()

    response = admin_client.post(
        reverse("admin:helpdesk_helpdeskteam_add"),
        {
            "name": "Customer Care",
            "use_timesheets": "on",
            "project": project.pk,
            "members": [member.pk],
        },
    )

    assert response.status_code == 302
    team = HelpdeskTeam.objects.get()
    assert team.use_timesheets and team.project == project
    assert list(team.members.all()) == [member]


def test_a_project_used_for_ticket_timesheets_cannot_stop_allowing_them(admin_client):
    team = TeamFactory()

    response = admin_client.post(
        reverse("admin:projects_project_change", args=[team.project.pk]),
        {"name": team.project.name, "active": "on"},
    )

    assert response.status_code == 200
    assert "untick it on the team" in response.content.decode()
    team.project.refresh_from_db()
    assert team.project.allow_timesheets


def test_an_admin_product_is_sold_in_hours_when_units_of_measure_is_off(admin_client):
    settings_row = AppSettings.load()
    settings_row.uom_enabled = False
    settings_row.save()
    project = ProjectFactory()

    page = admin_client.get(reverse("admin:sales_product_add"))
    assert 'name="uom"' not in page.content.decode()

    response = admin_client.post(
        reverse("admin:sales_product_add"),
        {
            "name": "Support hours",
            "type": Product.SERVICE,
            "active": "on",
            "list_price": "90",
            "tax_rate": "21",
            "vat_category": "S",
            "invoice_policy": Product.POLICY_DELIVERY,
            "service_tracking": Product.TRACKING_TASK_IN_PROJECT,
            "project": project.pk,
        },
    )

    assert response.status_code == 302
    assert Product.objects.get().uom == uom("Hours")


def test_an_admin_timesheet_entry_updates_delivered(admin_client, confirmed_line):
    task = confirmed_line.tasks.get()
    employee = StaffUserFactory()

    response = admin_client.post(
        reverse("admin:timesheets_timesheetentry_add"),
        {
            "date": "2026-03-02",
            "employee": employee.pk,
            "task": task.pk,
            "description": "Phone support",
            "duration": "1:30",
        },
    )

    assert response.status_code == 302
    entry = TimesheetEntry.objects.get()
    assert entry.minutes == 90 and entry.sale_line == confirmed_line
    confirmed_line.refresh_from_db()
    assert confirmed_line.qty_delivered == Decimal("1.50")


def test_an_admin_edit_and_bulk_delete_of_entries_update_delivered(admin_client, confirmed_line):
    task = confirmed_line.tasks.get()
    employee = StaffUserFactory()
    entries = [
        timesheet_log(employee=employee, date=datetime.date(2026, 3, d), minutes=60, task=task)
        for d in (2, 3)
    ]

    admin_client.post(
        reverse("admin:timesheets_timesheetentry_change", args=[entries[0].pk]),
        {
            "date": "2026-03-02",
            "employee": employee.pk,
            "project": task.project.pk,
            "task": task.pk,
            "description": "",
            "duration": "3:00",
        },
    )
    confirmed_line.refresh_from_db()
    assert confirmed_line.qty_delivered == Decimal("4.00")

    admin_client.post(
        reverse("admin:timesheets_timesheetentry_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [e.pk for e in entries],
            "post": "yes",
        },
    )

    assert not TimesheetEntry.objects.exists()
    confirmed_line.refresh_from_db()
    assert confirmed_line.qty_delivered == Decimal("0.00")


def test_a_bad_duration_is_a_form_error_not_a_server_error(admin_client, confirmed_line):
    task = confirmed_line.tasks.get()
    employee = StaffUserFactory()
    timesheet_log(employee=employee, date=datetime.date(2026, 3, 2), minutes=23 * 60, task=task)

    response = admin_client.post(
        reverse("admin:timesheets_timesheetentry_add"),
        {"date": "2026-03-02", "employee": employee.pk, "task": task.pk, "duration": "2:00"},
    )

    assert response.status_code == 200
    assert "at most 24:00" in response.content.decode()
    assert TimesheetEntry.objects.count() == 1


def test_the_ticket_timesheets_inline_logs_time_on_the_ticket_task(admin_client, confirmed_line):
    task = confirmed_line.tasks.get()
    team = TeamFactory(project=task.project)
    ticket = build_ticket(line=confirmed_line, team=team)
    employee = StaffUserFactory()

    response = admin_client.post(
        reverse("admin:helpdesk_ticket_change", args=[ticket.pk]),
        {
            "team": team.pk,
            "customer": ticket.customer.pk,
            "subject": ticket.subject,
            "description": ticket.description,
            "stage": ticket.stage,
            "priority": ticket.priority,
            "task": task.pk,
            **_inline_management("timesheet_entries", total=1),
            "timesheet_entries-0-date": "2026-03-02",
            "timesheet_entries-0-employee": employee.pk,
            "timesheet_entries-0-description": "Remote session",
            "timesheet_entries-0-duration": "0:20",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = TimesheetEntry.objects.get()
    assert (entry.ticket, entry.task, entry.project) == (ticket, task, task.project)
    confirmed_line.refresh_from_db()
    assert confirmed_line.qty_delivered == Decimal("0.33")


def test_an_admin_creates_a_quotation_with_lines_and_confirms_it(admin_client):
    product = ProductFactory(name="Support days", uom=uom("Days"), list_price=Decimal("800"))
    customer = CustomerFactory()

    response = admin_client.post(
        reverse("admin:sales_saleorder_add"),
        {
            "customer": customer.pk,
            "date_order": "2026-03-01",
            "note": "",
            **_inline_management("lines", total=1),
            "lines-0-product": product.pk,
            "lines-0-description": "",
            "lines-0-quantity": "2",
            "lines-0-price_unit": "",
            "lines-0-tax_rate": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    order = SaleOrder.objects.get()
    line = order.lines.get()
    assert (line.price_unit, line.tax_rate, line.uom) == (
        Decimal("800"),
        Decimal("21"),
        uom("Days"),
    )
    assert order.name.startswith("SO")

    admin_client.post(
        reverse("admin:sales_saleorder_changelist"),
        {"action": "confirm_orders", "_selected_action": [order.pk]},
    )

    order.refresh_from_db()
    assert order.state == SaleOrder.SALE
    task = Task.objects.get(sale_line=line)
    assert task.allocated_hours == Decimal("16.00")
    assert task.name == f"{order.name} - Support days"


def test_a_refused_confirm_is_a_message(admin_client):
    order = order_create(customer=CustomerFactory())

    response = admin_client.post(
        reverse("admin:sales_saleorder_changelist"),
        {"action": "confirm_orders", "_selected_action": [order.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Add at least one line" in response.content.decode()
    order.refresh_from_db()
    assert order.state == SaleOrder.DRAFT


def test_a_confirmed_order_line_cannot_be_deleted_from_the_admin(admin_client):
    product = ProductFactory(service_tracking=Product.TRACKING_NO, project=None)
    order = order_create(customer=CustomerFactory(), lines=[{"product": product, "quantity": 10}])
    order_confirm(order=order)
    confirmed_line = order.lines.get()

    response = admin_client.post(
        reverse("admin:sales_saleorder_change", args=[order.pk]),
        {
            "customer": order.customer.pk,
            "date_order": order.date_order.isoformat(),
            "note": "",
            **_inline_management("lines", total=1, initial=1),
            "lines-0-id": confirmed_line.pk,
            "lines-0-order": order.pk,
            "lines-0-product": confirmed_line.product.pk,
            "lines-0-description": confirmed_line.description,
            "lines-0-quantity": "10",
            "lines-0-price_unit": "100",
            "lines-0-tax_rate": "21",
            "lines-0-DELETE": "on",
        },
    )

    assert response.status_code == 200
    assert "set the line&#x27;s quantity to 0" in response.content.decode()
    assert order.lines.count() == 1


def test_an_admin_ticket_is_refused_a_task_of_another_customer(admin_client, confirmed_line):
    task = confirmed_line.tasks.get()
    team = TeamFactory(project=task.project)
    other_customer = CustomerFactory(name="Other Ltd")
    data = {
        "team": team.pk,
        "customer": other_customer.pk,
        "subject": "Printer on fire",
        "description": "",
        "stage": "new",
        "priority": "0",
        "task": task.pk,
    }

    refused = admin_client.post(reverse("admin:helpdesk_ticket_add"), data)

    assert refused.status_code == 200
    assert "another customer" in refused.content.decode()
    assert not Ticket.objects.exists()

    accepted = admin_client.post(
        reverse("admin:helpdesk_ticket_add"),
        {**data, "customer": confirmed_line.order.customer.pk},
    )

    assert accepted.status_code == 302
    assert Ticket.objects.get().task == task
