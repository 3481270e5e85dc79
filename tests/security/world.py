"""A small company's records, built through the services, owned by one Helpdesk User.

`build_world()` returns the users (owner, other, manager, admin) and, per model, the
records an id in a URL may point at: an order with its task, a ticket, the owner's
timesheet entries, a posted and paid invoice, a credit note and a draft invoice.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models

from core import roles
from helpdesk.models import HelpdeskTeam
from helpdesk.services import ticket_create
from invoicing import services as invoicing
from invoicing.models import Invoice
from sales.services import order_confirm, order_create
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
from timesheets.services import timesheet_log

DAY = datetime.date(2026, 3, 2)


@dataclass
class World:
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


def build_world() -> World:
    world = World(
        owner=StaffUserFactory(username="owner"),
        other=StaffUserFactory(username="other"),
        manager=ManagerFactory(username="manager"),
        admin=AdminFactory(username="admin"),
    )
    UserFactory(username="no-role")  # a user without a role, for the admin's user pages

    product = ProductFactory(uom=uom("Hours"), list_price=Decimal("100.00"))
    prepaid = ProductFactory(
        uom=uom("Hours"), invoice_policy=product.POLICY_ORDER, project=product.project
    )
    customer = CustomerFactory()
    order = order_create(
        customer=customer,
        lines=[
            {"product": product, "quantity": Decimal("10")},
            {"product": prepaid, "quantity": Decimal("5")},
        ],
    )
    order_confirm(order=order)
    line, prepaid_line = order.lines.order_by("pk")
    task = line.tasks.get()
    team = TeamFactory(project=task.project, use_timesheets=True)
    ticket = ticket_create(
        team=team, customer=customer, subject="Printer on fire", task=task, assignee=world.owner
    )
    quotation = order_create(customer=customer, lines=[{"product": product, "quantity": 1}])

    entries = [
        timesheet_log(
            employee=world.owner,
            date=DAY + datetime.timedelta(days=offset),
            minutes=minutes,
            ticket=ticket,
            description=f"Work {offset}",
        )
        for offset, minutes in ((0, 120), (1, 60), (2, 30))
    ]
    other_entry = timesheet_log(employee=world.other, date=DAY, minutes=45, ticket=ticket)

    posted = invoicing.invoice_create_from_order(order=order, up_to=DAY)
    invoicing.invoice_validate(invoice=posted, invoice_date=DAY)
    payment = invoicing.payment_register(invoice=posted, amount=Decimal("50.00"), date=DAY)
    credited = invoicing.invoice_create_from_order(order=order, up_to=DAY + datetime.timedelta(1))
    invoicing.invoice_validate(invoice=credited, invoice_date=DAY)
    credit_note = invoicing.invoice_credit(invoice=credited)
    draft = invoicing.invoice_create_from_order(order=order)

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
