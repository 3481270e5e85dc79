"""One place to build a test world, through the services so no test can skip a rule.

Plain master data (users, customers, products, projects, teams) comes from the
factories in tests/factories.py. Anything a service creates or checks (orders and
the tasks their confirmation generates, tickets, timesheet entries, invoices,
payments) is made here by that service: `sales.services`, `helpdesk.services`,
`timesheets.services`, `invoicing.services`.

Every builder takes keyword arguments only. Pytest fixtures that hand these builders
to tests live in tests/conftest.py (and the conftest.py of a folder that needs more).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models

from core import roles
from helpdesk import services as helpdesk
from helpdesk.models import HelpdeskTeam, Ticket
from invoicing import services as invoicing
from invoicing.models import Invoice
from projects.models import Project, Task
from sales import services as sales
from sales.models import Customer, Product, SaleOrder, SaleOrderLine, WorkType
from tests.factories import (
    AdminFactory,
    CustomerFactory,
    ManagerFactory,
    ProductFactory,
    StaffUserFactory,
    TeamFactory,
    UserFactory,
    uom,
)
from timesheets import services as timesheets
from timesheets.models import TimesheetEntry

DAY = datetime.date(2026, 3, 2)
"""Monday 2 March 2026, the day most worlds log their time on."""


def day(n: int) -> datetime.date:
    """The n-th of March 2026 (`day(2) == DAY`)."""
    return datetime.date(2026, 3, n)


def hours(value) -> int:
    """Hours as whole minutes, the unit the services take."""
    return int(Decimal(str(value)) * 60)


_minutes_in = hours  # `log_time(hours=...)` shadows the function inside log_time


# --- readers -----------------------------------------------------------------------------


def refreshed(line: SaleOrderLine) -> SaleOrderLine:
    """The order line as stored now, with its order and unit."""
    return SaleOrderLine.objects.select_related("order", "uom").get(pk=line.pk)


def delivered(line: SaleOrderLine) -> Decimal:
    """The line's Delivered as stored now."""
    return refreshed(line).qty_delivered


# --- master data -------------------------------------------------------------------------


def build_product(
    *,
    unit: str = "Hours",
    price: str = "100.00",
    tax: str | None = None,
    policy: str | None = None,
    **fields,
) -> Product:
    """A service product; by default the seed's set-up (Delivered, task in a project, Hours)."""
    if tax is not None:
        fields["tax_rate"] = Decimal(tax)
    if policy is not None:
        fields["invoice_policy"] = policy
    return ProductFactory(uom=uom(unit), list_price=Decimal(price), **fields)


def build_untracked_product(*, unit: str, price: str, tax: str, name: str | None = None) -> Product:
    """A prepaid product that creates no task (sold in Units, or a fixed block of hours)."""
    extra = {"name": name} if name else {}
    return build_product(
        unit=unit,
        price=price,
        tax=tax,
        policy=Product.POLICY_ORDER,
        service_tracking=Product.TRACKING_NO,
        project=None,
        **extra,
    )


def build_team(*, project: Project | None = None, members=()) -> HelpdeskTeam:
    """A helpdesk team with Timesheet on Ticket, logging on `project` (a new one by default)."""
    team = TeamFactory(use_timesheets=True, **({"project": project} if project else {}))
    if members:
        team.members.add(*members)
    return team


# --- sales -------------------------------------------------------------------------------


def build_order(
    *,
    customer: Customer | None = None,
    lines: list[dict] | None = None,
    product: Product | None = None,
    quantity="10",
    description: str | None = None,
    confirm: bool = True,
    **product_fields,
) -> SaleOrder:
    """An order made by `order_create` and, unless `confirm=False`, `order_confirm` (which
    generates the tasks). Either `lines` (the service's line dicts) or one line of
    `quantity` of `product` (built from `product_fields` when not given)."""
    if lines is None:
        line = {
            "product": product or build_product(**product_fields),
            "quantity": Decimal(str(quantity)),
        }
        if description is not None:
            line["description"] = description
        lines = [line]
    order = sales.order_create(customer=customer or CustomerFactory(), lines=lines)
    if confirm:
        sales.order_confirm(order=order)
    return order


def build_order_line(**order) -> SaleOrderLine:
    """The one line of `build_order(**order)`, fresh from the database."""
    return SaleOrderLine.objects.select_related("order", "uom").get(order=build_order(**order))


# --- helpdesk ----------------------------------------------------------------------------


def build_ticket(
    *,
    line: SaleOrderLine | None = None,
    task: Task | None = None,
    team: HelpdeskTeam | None = None,
    customer: Customer | None = None,
    subject: str = "Printer on fire",
    assignee=None,
) -> Ticket:
    """A ticket made by `ticket_create` on the line's task, for the order's customer, in a
    team logging on the task's project (a new team unless given)."""
    task = task or line.tasks.get()
    team = team or build_team(project=task.project)
    customer = customer or task.sale_line.order.customer
    return helpdesk.ticket_create(
        team=team, customer=customer, subject=subject, task=task, assignee=assignee
    )


def build_hours_ticket() -> tuple[SaleOrderLine, Ticket]:
    """A confirmed 10-hour line (Delivered policy) and a ticket on its task."""
    line = build_order_line(quantity=10)
    return line, build_ticket(line=line)


# --- timesheets --------------------------------------------------------------------------


def log_time(
    *,
    employee,
    date: datetime.date = DAY,
    hours: object = None,
    minutes: int | None = None,
    ticket: Ticket | None = None,
    task: Task | None = None,
    line: SaleOrderLine | None = None,
    project: Project | None = None,
    description: str = "",
    work_type: WorkType | None = None,
    billing: str | None = None,
) -> TimesheetEntry:
    """`timesheet_log` of `hours` (or `minutes`) on a ticket, a task, the task of an order
    line or a project (of `work_type`, and `billing="non_billable"` if asked)."""
    if minutes is None:
        minutes = _minutes_in(hours)
    if line is not None and task is None and ticket is None:
        task = Task.objects.get(sale_line=line)
    return timesheets.timesheet_log(
        employee=employee,
        date=date,
        minutes=minutes,
        ticket=ticket,
        task=task,
        project=project,
        description=description,
        work_type=work_type,
        billing=billing,
    )


def build_work_type(*, name: str, billing: str = WorkType.BILLABLE) -> WorkType:
    """A work type (Configuration, admins: plain master data)."""
    return WorkType.objects.create(name=name, billing=billing)


# --- invoicing ---------------------------------------------------------------------------


def build_invoice(
    *,
    order: SaleOrder,
    up_to: datetime.date | None = None,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    validate: bool = False,
    invoice_date: datetime.date | None = None,
) -> Invoice:
    """The draft `invoice_create_from_order` makes; posted by `invoice_validate` if asked."""
    invoice = invoicing.invoice_create_from_order(
        order=order, up_to=up_to, period_start=period_start, period_end=period_end
    )
    if validate:
        invoice = invoicing.invoice_validate(invoice=invoice, invoice_date=invoice_date)
    return invoice


def invoice_entry(*, entry: TimesheetEntry) -> Invoice:
    """A draft invoice billing `entry` (its order, on its day), which locks it.

    Refuses to bill any other entry: log the entries meant to stay free on other days.
    """
    invoice = build_invoice(
        order=entry.sale_line.order, period_start=entry.date, period_end=entry.date
    )
    billed = set(invoice.lines.values_list("timesheets", flat=True))
    assert billed == {entry.pk}, f"the invoice of {entry.date} billed entries {billed}"
    return invoice


# --- worlds ------------------------------------------------------------------------------


@dataclass
class TicketWorld:
    """The seed: a team with Timesheet on Ticket, a confirmed order of support hours whose
    task is generated in the team's project, and a ticket of that customer on it."""

    team: HelpdeskTeam
    project: Project
    product: Product
    customer: Customer
    order: SaleOrder
    line: SaleOrderLine
    task: Task
    ticket: Ticket
    entry: TimesheetEntry | None = None
    invoice: Invoice | None = None


def build_ticket_world(
    *,
    employee=None,
    hours: int = 5,
    quantity="10",
    prepaid: bool = False,
    invoiced: bool = False,
) -> TicketWorld:
    """Hours at 100 (Delivered, or Ordered if `prepaid`), an order of `quantity` hours and a
    ticket on its task. With an `employee`: a team member, who logs `hours` on DAY on the
    ticket; `invoiced` then bills them on a draft invoice."""
    team = build_team(members=[employee] if employee else ())
    product = build_product(
        project=team.project,
        policy=Product.POLICY_ORDER if prepaid else Product.POLICY_DELIVERY,
    )
    customer = CustomerFactory()
    order = build_order(customer=customer, product=product, quantity=quantity)
    line = order.lines.get()
    task = line.tasks.get()
    ticket = build_ticket(task=task, team=team, customer=customer)
    world = TicketWorld(team, team.project, product, customer, order, line, task, ticket)
    if employee is not None:
        world.entry = log_time(employee=employee, minutes=hours * 60, ticket=ticket)
    if invoiced:
        world.invoice = build_invoice(order=order)
        world.entry.refresh_from_db()
    return world


@dataclass
class CompanyWorld:
    """A small company's records, owned by one Helpdesk User (see `build_company_world`)."""

    owner: object
    other: object
    manager: object
    admin: object
    other_entry: object = None
    records: dict[type[models.Model], list[models.Model]] = field(default_factory=dict)

    def add(self, *objs: models.Model) -> None:
        for obj in objs:
            bucket = self.records.setdefault(type(obj), [])
            if all(existing.pk != obj.pk for existing in bucket):
                bucket.append(obj)

    def of(self, model: type[models.Model]) -> list[models.Model]:
        return self.records.get(model, [])


def build_company_world() -> CompanyWorld:
    """The users (owner, other, manager, admin) and, per model, the records an id in a URL
    may point at: an order with its task, a ticket, the owner's timesheet entries, a
    posted and paid invoice, a credit note and a draft invoice."""
    world = CompanyWorld(
        owner=StaffUserFactory(username="owner"),
        other=StaffUserFactory(username="other"),
        manager=ManagerFactory(username="manager"),
        admin=AdminFactory(username="admin"),
    )
    UserFactory(username="no-role")  # a user without a role, for the admin's user pages

    product = build_product()
    prepaid = build_product(policy=Product.POLICY_ORDER, project=product.project)
    customer = CustomerFactory()
    order = build_order(
        customer=customer,
        lines=[
            {"product": product, "quantity": Decimal("10")},
            {"product": prepaid, "quantity": Decimal("5")},
        ],
    )
    line, prepaid_line = order.lines.order_by("pk")
    task = line.tasks.get()
    team = build_team(project=task.project)
    ticket = build_ticket(task=task, team=team, customer=customer, assignee=world.owner)
    quotation = build_order(customer=customer, product=product, quantity=1, confirm=False)

    entries = [
        log_time(
            employee=world.owner,
            date=DAY + datetime.timedelta(days=offset),
            minutes=minutes,
            ticket=ticket,
            description=f"Work {offset}",
        )
        for offset, minutes in ((0, 120), (1, 60), (2, 30))
    ]
    other_entry = log_time(employee=world.other, minutes=45, ticket=ticket)

    posted = build_invoice(order=order, up_to=DAY, validate=True, invoice_date=DAY)
    payment = invoicing.payment_register(invoice=posted, amount=Decimal("50.00"), date=DAY)
    credited = build_invoice(
        order=order, up_to=DAY + datetime.timedelta(1), validate=True, invoice_date=DAY
    )
    credit_note = invoicing.invoice_credit(invoice=credited)
    draft = build_invoice(order=order)

    for obj in (order, quotation, line, prepaid_line, task, task.project, team, ticket, customer):
        obj.refresh_from_db()
    world.add(customer, product, prepaid, uom("Hours"), order, quotation, line, prepaid_line)
    world.add(task.project, task, team, ticket, *entries, payment)
    world.add(*Invoice.objects.filter(pk__in=[posted.pk, credited.pk, credit_note.pk, draft.pk]))
    for invoice in world.of(Invoice):
        world.add(*invoice.lines.all())
    world.add(world.owner, world.other, world.manager)
    world.other_entry = other_entry  # not the owner's: kept apart from the records
    assert roles.is_helpdesk_user(world.other) and not roles.is_manager(world.other)
    assert HelpdeskTeam.objects.filter(pk=team.pk).exists()
    return world
