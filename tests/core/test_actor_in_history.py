"""A service's `actor` is who the audit trail names, with or without a request: the API
(token users authenticate after the history middleware), commands and tasks."""

import datetime

import pytest

from helpdesk.services import ticket_create
from sales.services import order_cancel, order_confirm, order_create, order_line_add
from tests.factories import (
    CustomerFactory,
    ManagerFactory,
    ProductFactory,
    ProjectFactory,
    StaffUserFactory,
    TeamFactory,
)
from timesheets.services import timesheet_delete, timesheet_log, timesheet_update

pytestmark = pytest.mark.django_db


def _who(record) -> object:
    return record.history.order_by("-history_id").first().history_user


def test_order_confirm_and_cancel_name_the_actor():
    manager, other = ManagerFactory(), ManagerFactory()
    order = order_create(customer=CustomerFactory())
    order_line_add(order=order, product=ProductFactory(), quantity=1)
    order = order_confirm(order=order, actor=manager)
    assert _who(order) == manager
    order = order_cancel(order=order, actor=other)
    assert _who(order) == other


def test_timesheet_writes_name_the_actor():
    manager, staff = ManagerFactory(), StaffUserFactory()
    project = ProjectFactory()
    team = TeamFactory(project=project, use_timesheets=True)
    ticket = ticket_create(team=team, customer=CustomerFactory(), subject="Who")
    day = datetime.date.today()
    entry = timesheet_log(employee=staff, ticket=ticket, date=day, minutes=30, actor=staff)
    assert _who(entry) == staff
    entry = timesheet_update(entry=entry, minutes=45, actor=manager)
    assert _who(entry) == manager
    pk = entry.pk
    timesheet_delete(entry=entry, actor=manager)
    deleted = entry.history.model.objects.filter(id=pk).order_by("-history_id").first()
    assert deleted.history_type == "-" and deleted.history_user == manager
