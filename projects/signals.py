"""Receivers only: each calls one service."""

from django.dispatch import receiver

from projects import services
from sales import events as sales_events


@receiver(sales_events.order_confirmed, dispatch_uid="projects_tasks_for_confirmed_order")
def create_tasks_on_confirm(order, **kwargs):
    services.tasks_create_for_order(order=order)


@receiver(sales_events.sale_line_saved, dispatch_uid="projects_task_follows_line")
def sync_task_on_line_saved(line, **kwargs):
    services.task_sync_from_line(line=line)
