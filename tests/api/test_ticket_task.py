"""PATCH of a ticket's task moves its uninvoiced time (DOMAIN.md rule 13)."""

import pytest

from projects.models import Task
from sales.services import order_confirm, order_create
from tests.api.conftest import token_client
from tests.builders import DAY, build_ticket_world
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db


def test_a_new_task_takes_the_uninvoiced_entries_and_both_lines_follow(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user, invoiced=True)  # 5 h, on a draft invoice
    free = timesheet_log(employee=helpdesk_user, date=DAY, minutes=120, ticket=world.ticket)
    new_order = order_create(
        customer=world.customer, lines=[{"product": world.product, "quantity": "10"}]
    )
    order_confirm(order=new_order)
    new_task = Task.objects.get(sale_line__order=new_order)

    response = token_client(helpdesk_user).patch(
        f"/api/v1/tickets/{world.ticket.pk}/", {"task": new_task.pk}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["task"] == new_task.pk
    api = token_client(manager)
    moved = api.get(f"/api/v1/timesheets/{free.pk}/").json()
    kept = api.get(f"/api/v1/timesheets/{world.entry.pk}/").json()
    assert moved["task"] == new_task.pk and moved["sale_line"] == new_task.sale_line_id
    assert kept["task"] == world.task.pk and kept["invoice"] == world.invoice.pk
    old_line = api.get(f"/api/v1/orders/{world.order.pk}/").json()["lines"][0]
    new_line = api.get(f"/api/v1/orders/{new_order.pk}/").json()["lines"][0]
    assert old_line["qty_delivered"] == "5.00"
    assert new_line["qty_delivered"] == "2.00"
