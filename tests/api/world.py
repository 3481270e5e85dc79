"""A small, complete set of records for API tests, built through the services."""

import datetime
from dataclasses import dataclass

from helpdesk.models import HelpdeskTeam, Ticket
from helpdesk.services import ticket_create
from invoicing.models import Invoice
from invoicing.services import invoice_create_from_order
from projects.models import Project, Task
from sales.models import Customer, Product, SaleOrder
from sales.services import order_confirm, order_create
from tests.factories import CustomerFactory, ProductFactory, TeamFactory
from timesheets.models import TimesheetEntry
from timesheets.services import timesheet_log

DAY = datetime.date(2026, 3, 2)


@dataclass
class World:
    project: Project
    team: HelpdeskTeam
    product: Product
    customer: Customer
    order: SaleOrder
    task: Task
    ticket: Ticket
    entry: TimesheetEntry
    invoice: Invoice | None = None


def build_world(*, employee, invoiced: bool = False, hours: int = 5) -> World:
    """Hours at 100 (Delivered), a confirmed order of 10 h, a ticket on its task, one entry."""
    team = TeamFactory(use_timesheets=True)
    team.members.add(employee)
    product = ProductFactory(project=team.project)
    customer = CustomerFactory()
    order = order_create(customer=customer, lines=[{"product": product, "quantity": "10"}])
    order_confirm(order=order)
    task = Task.objects.get(sale_line__order=order)
    ticket = ticket_create(team=team, customer=customer, subject="Printer on fire", task=task)
    entry = timesheet_log(employee=employee, date=DAY, minutes=hours * 60, ticket=ticket)
    world = World(team.project, team, product, customer, order, task, ticket, entry)
    if invoiced:
        world.invoice = invoice_create_from_order(order=order)
        world.entry.refresh_from_db()
    return world
