"""The read-replica router: lists may read from the replica; writes and locks never do.

The "replica" alias is added for the test and is not among the test's databases, so
any query that reaches it fails (pytest-django refuses it): a service that runs to
the end inside `use_replica()` has touched only the primary.
"""

import copy
from datetime import date

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from core.models import Sequence
from core.routers import REPLICA, use_replica
from core.sequences import sequence_next
from invoicing.models import Invoice
from invoicing.services import invoice_create_from_order, invoice_validate
from projects.models import Task
from timesheets.models import TimesheetEntry
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def replica():
    """A second alias mirroring the primary, as DATABASE_REPLICA_URL would configure."""
    alias = copy.deepcopy(connections.settings[DEFAULT_DB_ALIAS])
    alias["TEST"] = {"MIRROR": DEFAULT_DB_ALIAS}
    connections.settings[REPLICA] = alias
    yield REPLICA
    if hasattr(connections._connections, REPLICA):
        connections[REPLICA].close()
        delattr(connections._connections, REPLICA)
    del connections.settings[REPLICA]


def _reaches_replica(queryset) -> bool:
    try:
        list(queryset)
    except Exception as error:  # refused by pytest-django: the query went to the replica
        return REPLICA in str(error)
    return False


def test_lists_read_from_the_replica_only_inside_use_replica(replica):
    assert Invoice.objects.all().db == DEFAULT_DB_ALIAS
    with use_replica():
        assert Invoice.objects.all().db == REPLICA
        assert _reaches_replica(Invoice.objects.all())
    assert Invoice.objects.all().db == DEFAULT_DB_ALIAS


def test_locks_and_writes_go_to_the_primary_inside_use_replica(replica):
    with use_replica():
        assert Invoice.objects.select_for_update().db == DEFAULT_DB_ALIAS
        assert Sequence.objects.get_or_create(code="TST", year=2026)[0].pk
        with transaction.atomic():
            assert sequence_next(code="TST", year=2026) == 1
            # A transaction opened inside the block reads from the primary too.
            assert Invoice.objects.all().db == DEFAULT_DB_ALIAS


def test_logging_invoicing_and_numbering_never_touch_the_replica(replica, make_line, employee):
    line = make_line()
    task = Task.objects.get(sale_line=line)
    with use_replica():
        entry = timesheet_log(employee=employee, date=date(2026, 3, 2), minutes=120, task=task)
        draft = invoice_create_from_order(order=line.order)
        invoice = invoice_validate(invoice=draft, invoice_date=date(2026, 3, 31))

    assert invoice.number == "INV/2026/00001"
    assert TimesheetEntry.objects.get(pk=entry.pk).invoice_line.invoice_id == invoice.pk


def test_without_a_replica_use_replica_reads_from_the_primary():
    with use_replica():
        assert Invoice.objects.all().db == DEFAULT_DB_ALIAS
        assert list(Invoice.objects.all()) == []


def test_a_view_decorated_with_use_replica_reads_from_it_until_it_writes(replica):
    @use_replica()
    def invoice_list_view():
        listed = Invoice.objects.all().db
        with transaction.atomic():  # a service called from the page
            written = Invoice.objects.all().db
        return listed, written

    assert invoice_list_view() == (REPLICA, DEFAULT_DB_ALIAS)
    assert Invoice.objects.all().db == DEFAULT_DB_ALIAS
