"""One employee's concurrent writes never deadlock into an error (PostgreSQL, real threads).

Two clients of the same user, one logging, one editing, used to deadlock: the log locked
the ticket's task and then the user row, the edit the entry, the user row and then the
task. Now every write takes its locks in the one order written in timesheets.services,
the per-day cap takes an advisory lock that blocks no foreign-key check, a transaction
that still loses a lock race runs again (core.db), and one that keeps losing answers 503
with Retry-After, never 500.
"""

import logging
import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.urls import reverse

from core.db import ATTEMPTS, RETRY_AFTER_SECONDS, TransientConflict, retry_on_conflict
from helpdesk.models import Ticket
from helpdesk.services import ticket_create
from projects.models import Task
from sales.models import Customer, SaleOrderLine
from sales.services import order_confirm, order_create
from tests.api.conftest import token_client
from tests.builders import DAY, build_ticket_world
from tests.factories import CustomerFactory, ManagerFactory, StaffUserFactory
from tests.threads import run_together
from timesheets.models import TimesheetEntry
from timesheets.services import recompute_all_delivered

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 30


def _retry_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "core.db"]


def test_one_user_logging_and_editing_at_once_gets_no_error_and_right_totals(postgres_only, caplog):
    employee = StaffUserFactory()
    world = build_ticket_world(employee=employee, hours=1)
    # A second ticket on the same task, as a colleague's screen would have open.
    other = ticket_create(
        team=world.team, customer=world.customer, subject="Scanner too", task=world.task
    )
    edited = world.entry

    def logger() -> list[int]:
        api = token_client(employee)
        answers = []
        for n in range(ROUNDS):
            ticket = world.ticket if n % 2 else other
            response = api.post(
                "/api/v1/timesheets/",
                {"ticket": ticket.pk, "date": str(DAY), "minutes": 10, "description": f"{n}"},
                format="json",
            )
            answers.append(response.status_code)
        return answers

    def editor() -> list[int]:
        api = token_client(employee)
        answers = []
        for n in range(ROUNDS):
            response = api.patch(
                f"/api/v1/timesheets/{edited.pk}/",
                {"minutes": 60 + n, "description": f"edit {n}"},
                format="json",
            )
            answers.append(response.status_code)
        return answers

    with caplog.at_level(logging.WARNING, logger="core.db"):
        logged, edits = run_together([logger, editor])

    assert logged == [201] * ROUNDS, logged
    assert edits == [200] * ROUNDS, edits
    # The one lock order, not the retries, keeps them apart.
    assert _retry_warnings(caplog) == []
    entries = TimesheetEntry.objects.filter(employee=employee)
    assert entries.count() == 1 + ROUNDS
    total = entries.aggregate(total=Sum("minutes"))["total"]
    assert total == ROUNDS * 10 + 60 + ROUNDS - 1
    line = SaleOrderLine.objects.get(pk=world.task.sale_line_id)
    assert line.delivered_minutes == total
    assert Task.objects.get(pk=world.task.pk).logged_minutes == total


def test_logging_and_editing_while_a_manager_moves_the_ticket_task_stay_consistent(
    postgres_only, caplog
):
    employee, manager = StaffUserFactory(), ManagerFactory()
    world = build_ticket_world(employee=employee, hours=1)
    order = order_create(customer=world.customer, lines=[{"product": world.product, "quantity": 9}])
    order_confirm(order=order)
    tasks = [world.task, Task.objects.get(sale_line__order=order)]
    rounds = ROUNDS // 2

    def logger() -> list[int]:
        api = token_client(employee)
        return [
            api.post(
                "/api/v1/timesheets/",
                {"ticket": world.ticket.pk, "date": str(DAY), "minutes": 5},
                format="json",
            ).status_code
            for _ in range(rounds)
        ]

    def editor() -> list[int]:
        api = token_client(employee)
        return [
            api.patch(
                f"/api/v1/timesheets/{world.entry.pk}/", {"minutes": 60 + n}, format="json"
            ).status_code
            for n in range(rounds)
        ]

    def mover() -> list[int]:
        api = token_client(manager)
        return [
            api.patch(
                f"/api/v1/tickets/{world.ticket.pk}/",
                {"task": tasks[(n + 1) % 2].pk},
                format="json",
            ).status_code
            for n in range(rounds)
        ]

    with caplog.at_level(logging.WARNING, logger="core.db"):
        logged, edits, moves = run_together([logger, editor, mover])

    assert (logged, edits, moves) == ([201] * rounds, [200] * rounds, [200] * rounds)
    assert _retry_warnings(caplog) == []  # the lock order alone keeps them apart
    ticket_task = Ticket.objects.get(pk=world.ticket.pk).task_id
    entries = TimesheetEntry.objects.filter(ticket=world.ticket)
    assert set(entries.values_list("task_id", flat=True)) == {ticket_task}  # all followed
    assert recompute_all_delivered(fix=False) == []  # every stored total matches its entries


# --- the retry helper ---------------------------------------------------------------


def test_the_retry_helper_runs_a_deadlocked_transaction_again(postgres_only, caplog):
    first, second = CustomerFactory(), CustomerFactory()
    both_hold_one = threading.Barrier(2, timeout=10)
    attempts: list[str] = []

    def lock_both(name: str, one, other) -> Callable[[], str]:
        tries = 0

        @retry_on_conflict
        def locked() -> str:
            nonlocal tries
            tries += 1
            attempts.append(name)
            Customer.objects.select_for_update().get(pk=one.pk)
            if tries == 1:  # the first round: each holds one row and wants the other's
                both_hold_one.wait()
            Customer.objects.select_for_update().get(pk=other.pk)
            return name

        return locked

    with caplog.at_level(logging.WARNING, logger="core.db"):
        results = run_together([lock_both("a", first, second), lock_both("b", second, first)])

    assert results == ["a", "b"], results
    assert len(attempts) == 3  # PostgreSQL aborted one of them once; it ran again
    assert any("deadlock detected" in message for message in _retry_warnings(caplog))


def test_inside_an_enclosing_transaction_the_helper_leaves_the_retry_to_it():
    calls = []

    @retry_on_conflict
    def conflicting() -> None:
        calls.append(transaction.get_connection().in_atomic_block)
        raise TransientConflict("moved")

    with transaction.atomic(), pytest.raises(TransientConflict):
        conflicting()
    assert len(calls) == 1
    with pytest.raises(TransientConflict):  # outermost: it runs again, a bounded number of times
        conflicting()
    assert len(calls) == 1 + ATTEMPTS


# --- requests that keep losing: 503 with Retry-After, never 500 -----------------------


@pytest.fixture
def entry_writes_deadlock(postgres_only):
    """Every write of a timesheet entry fails with PostgreSQL's own deadlock_detected
    (SQLSTATE 40P01), from a trigger, the first `times` times; a sequence (which no
    rollback undoes) counts the attempts."""

    def install(*, times: int = 1_000_000) -> Callable[[], int]:
        with connection.cursor() as cursor:
            cursor.execute("CREATE SEQUENCE test_write_attempts")
            cursor.execute(
                "CREATE FUNCTION test_write_deadlocks() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN IF nextval('test_write_attempts') <= {int(times)} THEN "
                "RAISE EXCEPTION 'deadlock detected' USING ERRCODE = 'deadlock_detected'; "
                "END IF; RETURN COALESCE(NEW, OLD); END $$"
            )
            cursor.execute(
                "CREATE TRIGGER test_write_deadlocks BEFORE INSERT OR UPDATE OR DELETE "
                "ON timesheets_timesheetentry FOR EACH ROW EXECUTE FUNCTION test_write_deadlocks()"
            )

        def attempts() -> int:
            with connection.cursor() as cursor:
                cursor.execute("SELECT last_value, is_called FROM test_write_attempts")
                value, called = cursor.fetchone()
            return value if called else 0

        return attempts

    yield install
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS test_write_deadlocks ON timesheets_timesheetentry")
        cursor.execute("DROP FUNCTION IF EXISTS test_write_deadlocks()")
        cursor.execute("DROP SEQUENCE IF EXISTS test_write_attempts")


def test_an_api_write_that_keeps_deadlocking_answers_503_with_retry_after(
    entry_writes_deadlock,
):
    employee = StaffUserFactory()
    world = build_ticket_world(employee=employee, hours=1)
    attempts = entry_writes_deadlock()

    response = token_client(employee).post(
        "/api/v1/timesheets/",
        {"ticket": world.ticket.pk, "date": str(DAY), "minutes": 30},
        format="json",
    )

    assert response.status_code == 503, response.content
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "try again" in response.json()["detail"]
    assert attempts() == ATTEMPTS  # the whole request ran again before giving up
    assert TimesheetEntry.objects.filter(employee=employee).count() == 1


def test_an_api_write_that_deadlocks_once_is_run_again_and_succeeds(entry_writes_deadlock):
    employee = StaffUserFactory()
    world = build_ticket_world(employee=employee, hours=1)
    attempts = entry_writes_deadlock(times=1)

    response = token_client(employee).post(
        "/api/v1/timesheets/",
        {"ticket": world.ticket.pk, "date": str(DAY), "minutes": 30, "description": "again"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert attempts() == 2
    assert TimesheetEntry.objects.filter(employee=employee, description="again").count() == 1
    line = SaleOrderLine.objects.get(pk=world.task.sale_line_id)
    assert line.delivered_minutes == 90


def test_a_page_write_that_keeps_deadlocking_shows_a_503_page_or_message(
    client, entry_writes_deadlock
):
    employee = StaffUserFactory()
    world = build_ticket_world(employee=employee, hours=1)
    attempts = entry_writes_deadlock()
    client.force_login(employee)
    url = reverse("timesheets:ticket_entry_delete", args=[world.ticket.pk, world.entry.pk])

    form = "application/x-www-form-urlencoded"  # as browsers and htmx send a form
    page = client.post(url, "", content_type=form)
    fragment = client.post(url, "", content_type=form, headers={"HX-Request": "true"})

    assert page.status_code == 503
    assert page["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "try again" in page.content.decode()
    assert fragment.status_code == 503
    assert fragment["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert fragment["HX-Retarget"] == "#messages"
    assert 'role="alert"' in fragment.content.decode()
    assert attempts() == 2 * ATTEMPTS
    assert TimesheetEntry.objects.filter(pk=world.entry.pk).exists()
