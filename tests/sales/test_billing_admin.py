"""The Django admin's part of DOMAIN.md part G: work types, a product's rounding rule, an
order line's rounding and rate fields (saved through the sales services), a team's default
work type and approval, and the entry admin (saved through the timesheet services)."""

import datetime

import pytest
from django.urls import reverse

from core.models import AppSettings
from helpdesk.models import HelpdeskTeam
from sales.models import Product, SaleOrderLine, WorkType
from sales.services import order_line_add
from tests.builders import (
    build_order,
    build_product,
    build_ticket_world,
    build_untracked_product,
    build_work_type,
    log_time,
    refreshed,
)
from tests.factories import AdminFactory, CustomerFactory, ProjectFactory, StaffUserFactory
from timesheets.models import TimesheetEntry
from timesheets.services import timesheet_adjust_billed

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory(username="root"))
    return client


def _management(prefix: str, *, total: int, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


# --- work types ----------------------------------------------------------------------------


def test_work_types_are_listed_with_their_billing(admin_client):
    WorkType.default()
    build_work_type(name="Goodwill", billing=WorkType.NO_CHARGE)

    html = admin_client.get(reverse("admin:sales_worktype_changelist")).content.decode()

    assert "Support" in html and "Goodwill" in html and "No charge" in html


def test_an_admin_adds_a_work_type_and_archives_it(admin_client):
    response = admin_client.post(
        reverse("admin:sales_worktype_add"),
        {"name": "After hours", "billing": WorkType.BILLABLE, "active": "on"},
    )
    assert response.status_code == 302
    work_type = WorkType.objects.get(name="After hours")

    admin_client.post(
        reverse("admin:sales_worktype_change", args=[work_type.pk]),
        {"name": "After hours", "billing": WorkType.BILLABLE},
    )

    work_type.refresh_from_db()
    assert not work_type.active


def test_the_configuration_page_links_the_work_types(admin_client):
    html = admin_client.get(reverse("core:configuration")).content.decode()
    assert 'href="/admin/sales/worktype/"' in html
    assert admin_client.get("/admin/sales/worktype/").status_code == 200


# --- products and order lines --------------------------------------------------------------


def test_a_products_rounding_rule_is_edited_in_the_admin(admin_client):
    project = ProjectFactory()

    response = admin_client.post(
        reverse("admin:sales_product_add"),
        {
            "name": "Contract hours",
            "type": Product.SERVICE,
            "active": "on",
            "uom": build_product().uom.pk,
            "list_price": "90",
            "tax_rate": "21",
            "vat_category": "S",
            "invoice_policy": Product.POLICY_DELIVERY,
            "service_tracking": Product.TRACKING_TASK_IN_PROJECT,
            "project": project.pk,
            "rounding_increment": "15",
            "rounding_mode": "nearest",
            "minimum_minutes": "30",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    product = Product.objects.get(name="Contract hours")
    assert (product.rounding_increment, product.rounding_mode, product.minimum_minutes) == (
        15,
        "nearest",
        30,
    )
    page = admin_client.get(reverse("admin:sales_product_change", args=[product.pk]))
    assert "Minimum per entry (minutes)" in page.content.decode()


def test_an_admin_line_takes_its_products_rule_unless_typed(admin_client):
    product = build_product(rounding_increment=15, minimum_minutes=30)
    after_hours = build_work_type(name="After hours")

    response = admin_client.post(
        reverse("admin:sales_saleorder_add"),
        {
            "customer": CustomerFactory().pk,
            "date_order": "2026-03-01",
            "note": "",
            **_management("lines", total=2),
            "lines-0-product": product.pk,
            "lines-0-quantity": "2",
            "lines-1-product": product.pk,
            "lines-1-quantity": "0",
            "lines-1-price_unit": "150",
            "lines-1-rounding_increment": "60",
            "lines-1-rounding_mode": "up",
            "lines-1-minimum_minutes": "0",
            "lines-1-rate_work_type": after_hours.pk,
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    plain, rate = SaleOrderLine.objects.order_by("pk")
    assert (plain.rounding_increment, plain.minimum_minutes, plain.rate_work_type) == (15, 30, None)
    assert (rate.rounding_increment, rate.minimum_minutes, rate.rate_work_type) == (
        60,
        0,
        after_hours,
    )


def test_an_admin_edits_a_confirmed_lines_rate_and_its_entries_move(admin_client):
    employee = StaffUserFactory()
    world = build_ticket_world()
    world.team.members.add(employee)
    after_hours = build_work_type(name="After hours")
    entry = log_time(employee=employee, minutes=60, ticket=world.ticket, work_type=after_hours)
    order = world.order
    rate = order_line_add(order=order, product=world.product, quantity="0", price_unit="150")
    lines = [world.line, rate]
    data = {
        "customer": order.customer.pk,
        "date_order": order.date_order.isoformat(),
        "note": "",
        **_management("lines", total=2, initial=2),
    }
    for n, line in enumerate(lines):
        data |= {
            f"lines-{n}-id": line.pk,
            f"lines-{n}-order": order.pk,
            f"lines-{n}-product": line.product_id,
            f"lines-{n}-description": line.description,
            f"lines-{n}-quantity": str(line.quantity),
            f"lines-{n}-price_unit": str(line.price_unit),
            f"lines-{n}-tax_rate": str(line.tax_rate),
            f"lines-{n}-vat_category": line.vat_category,
            f"lines-{n}-rounding_increment": "1",
            f"lines-{n}-rounding_mode": "up",
            f"lines-{n}-minimum_minutes": "0",
        }
    data["lines-1-rate_work_type"] = after_hours.pk

    response = admin_client.post(reverse("admin:sales_saleorder_change", args=[order.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert refreshed(rate).rate_work_type == after_hours
    entry.refresh_from_db()
    assert entry.sale_line_id == rate.pk
    assert refreshed(rate).qty_delivered == 1 and refreshed(world.line).qty_delivered == 0


def test_a_rate_line_in_units_is_an_admin_form_error(admin_client):
    order = build_order(confirm=False)
    units = build_untracked_product(unit="Units", price="10", tax="21")
    line = order.lines.get()
    data = {
        "customer": order.customer.pk,
        "date_order": order.date_order.isoformat(),
        "note": "",
        **_management("lines", total=2, initial=1),
        "lines-0-id": line.pk,
        "lines-0-order": order.pk,
        "lines-0-product": line.product_id,
        "lines-0-description": line.description,
        "lines-0-quantity": str(line.quantity),
        "lines-0-price_unit": str(line.price_unit),
        "lines-0-tax_rate": str(line.tax_rate),
        "lines-0-vat_category": line.vat_category,
        "lines-0-rounding_increment": "1",
        "lines-0-rounding_mode": "up",
        "lines-0-minimum_minutes": "0",
        "lines-1-product": units.pk,
        "lines-1-quantity": "1",
        "lines-1-rate_work_type": build_work_type(name="After hours").pk,
    }

    response = admin_client.post(reverse("admin:sales_saleorder_change", args=[order.pk]), data)

    assert response.status_code == 200
    assert "Working time" in response.content.decode()
    assert order.lines.count() == 1


# --- teams ---------------------------------------------------------------------------------


def test_an_admin_sets_a_teams_default_work_type_and_approval(admin_client):
    team = build_ticket_world().team
    remote = build_work_type(name="Remote")
    WorkType.objects.create(name="Retired", active=False)
    url = reverse("admin:helpdesk_helpdeskteam_change", args=[team.pk])
    page = admin_client.get(url).content.decode()
    assert "Approve time before billing" in page
    assert "Remote" in page and "Retired" not in page

    response = admin_client.post(
        url,
        {
            "name": team.name,
            "use_timesheets": "on",
            "project": team.project.pk,
            "default_work_type": remote.pk,
            "approve_time": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    team = HelpdeskTeam.objects.get(pk=team.pk)
    assert (team.default_work_type, team.approve_time) == (remote, True)


# --- timesheet entries ---------------------------------------------------------------------


def test_the_entry_admin_shows_worked_billed_adjustment_and_approval(admin_client):
    employee = StaffUserFactory()
    world = build_ticket_world(employee=employee, hours=1)
    manager = AdminFactory(username="boss")
    timesheet_adjust_billed(entry=world.entry, minutes=45, reason="Slow link", actor=manager)

    page = admin_client.get(
        reverse("admin:timesheets_timesheetentry_change", args=[world.entry.pk])
    ).content.decode()
    changelist = admin_client.get(reverse("admin:timesheets_timesheetentry_changelist"))

    assert "Slow link" in page and "0:45" in page and "Support" in page
    assert changelist.status_code == 200
    assert "0:45" in changelist.content.decode()


def test_the_entry_admin_logs_with_a_work_type_through_the_service(admin_client):
    employee = StaffUserFactory()
    world = build_ticket_world()
    world.team.members.add(employee)
    goodwill = build_work_type(name="Goodwill", billing=WorkType.NO_CHARGE)

    response = admin_client.post(
        reverse("admin:timesheets_timesheetentry_add"),
        {
            "date": "2026-03-02",
            "employee": employee.pk,
            "ticket": world.ticket.pk,
            "description": "Goodwill call",
            "duration": "0:30",
            "work_type": goodwill.pk,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = TimesheetEntry.objects.get()
    assert (entry.work_type, entry.minutes, entry.billed_minutes) == (goodwill, 30, 0)
    assert entry.sale_line == world.line


def test_the_entry_admin_marks_an_entry_non_billable(admin_client):
    employee = StaffUserFactory()
    world = build_ticket_world(employee=employee, hours=1)
    entry = world.entry

    response = admin_client.post(
        reverse("admin:timesheets_timesheetentry_change", args=[entry.pk]),
        {
            "date": entry.date.isoformat(),
            "employee": employee.pk,
            "project": entry.project_id,
            "task": entry.task_id,
            "ticket": entry.ticket_id,
            "description": "",
            "duration": "1:00",
            "work_type": entry.work_type_id,
            "non_billable": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    entry.refresh_from_db()
    assert (entry.non_billable, entry.billed_minutes) == (True, 0)
    assert refreshed(world.line).qty_delivered == 0


def test_the_entry_admin_approves_the_selected_entries(admin_client):
    employee = StaffUserFactory()
    world = build_ticket_world()
    world.team.members.add(employee)
    HelpdeskTeam.objects.filter(pk=world.team.pk).update(approve_time=True)
    entry = log_time(employee=employee, minutes=60, ticket=world.ticket)
    assert entry.approval_state == TimesheetEntry.TO_APPROVE

    response = admin_client.post(
        reverse("admin:timesheets_timesheetentry_changelist"),
        {"action": "approve_entries", "_selected_action": [entry.pk]},
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.approval_state, entry.billed_minutes) == (TimesheetEntry.APPROVED, 60)


def test_the_settings_admin_edits_the_lock_date(admin_client):
    locked = datetime.date(2026, 1, 31)
    response = admin_client.post(
        reverse("admin:core_appsettings_change", args=[AppSettings.load().pk]),
        {"timesheets_enabled": "on", "uom_enabled": "on", "timesheets_locked_up_to": "2026-01-31"},
    )
    assert response.status_code == 302
    assert AppSettings.load().timesheets_locked_up_to == locked
