"""Transactions that lose a lock race run again; locks that block no foreign-key check.

PostgreSQL aborts one of two transactions waiting on each other's locks (deadlock_detected,
SQLSTATE 40P01) and, at REPEATABLE READ or SERIALIZABLE, one whose reads another has
changed (serialization_failure, 40001). Neither is the user's fault and both succeed when
run again, so, as Odoo does, the whole transaction runs again: up to `ATTEMPTS` times,
after a short random pause. Only the outermost atomic block can run again (a savepoint
cannot bring back what the aborted transaction held): inside an enclosing transaction
the error goes on up to whoever opened it. With ATOMIC_REQUESTS that is the request, and
`core.middleware.ConflictRetryMiddleware` runs the request again; when its last attempt
fails too, the user gets 503 with Retry-After (a page, or the API's JSON), never a 500.

Services keep their locks in one order (timesheets.services says which), so a conflict is
rare; this is the safety net, not the design.
"""

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction

logger = logging.getLogger(__name__)

ATTEMPTS = 3
RETRY_AFTER_SECONDS = 1
CONFLICT_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure
CONFLICT_MESSAGE = "Someone else was changing the same records; please try again in a moment."

F = TypeVar("F", bound=Callable[..., Any])


class TransientConflict(Exception):
    """Rows a service locked are no longer the ones it needs (they moved between its read
    and its lock): run the transaction again, like a deadlock."""


def is_conflict(error: BaseException | None) -> bool:
    """A deadlock, a serialization failure or a `TransientConflict`, however wrapped."""
    while error is not None:
        if isinstance(error, TransientConflict):
            return True
        if getattr(error, "sqlstate", None) in CONFLICT_SQLSTATES:
            return True
        error = error.__cause__
    return False


def note_request_conflict(request, error: BaseException) -> None:
    """Tell `ConflictRetryMiddleware` this request's transaction lost a lock race and was
    rolled back (the API's exception handler, which answers DRF's errors itself)."""
    request.db_conflict = error


def describe(error: BaseException) -> str:
    """The first line of the database's message (the rest names server processes)."""
    return (str(error).splitlines() or [type(error).__name__])[0]


def pause_before_retry(attempt: int) -> None:
    """Up to 25, 50, 100 ms...: random, so the two losers do not collide again in step."""
    time.sleep(random.uniform(0, 0.025 * 2 ** (attempt - 1)))  # noqa: S311 (jitter, not a secret)


def retry_on_conflict(func: F | None = None, *, attempts: int = ATTEMPTS, using: str | None = None):
    """`transaction.atomic` that runs the function again on a conflict, when outermost.

    Inside an enclosing atomic block it is a plain savepoint and the conflict goes up,
    since only the enclosing transaction can start over.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if transaction.get_connection(using).in_atomic_block:
                with transaction.atomic(using=using):
                    return func(*args, **kwargs)
            for attempt in range(1, attempts + 1):
                try:
                    with transaction.atomic(using=using):
                        return func(*args, **kwargs)
                except Exception as error:
                    if attempt == attempts or not is_conflict(error):
                        raise
                    logger.warning(
                        "%s lost a lock race (attempt %d of %d), running it again: %s",
                        func.__qualname__,
                        attempt,
                        attempts,
                        describe(error),
                    )
                    pause_before_retry(attempt)
            raise AssertionError("unreachable")  # pragma: no cover

        return wrapper  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate


def advisory_xact_lock(*, namespace: int, key: int, using: str = DEFAULT_DB_ALIAS) -> None:
    """A PostgreSQL advisory lock held until the transaction ends, on (namespace, key).

    It locks no row, so no foreign-key check and no other writer of a row waits for it;
    it takes part in deadlock detection like a row lock. Both numbers are folded into
    PostgreSQL's int4 (two unrelated keys may share a lock: they only wait for each
    other). Elsewhere (SQLite, which serialises all writers anyway) it does nothing.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s::integer, %s::integer)",
            [_int4(namespace), _int4(key)],
        )


def _int4(value: int) -> int:
    return (value + 2**31) % 2**32 - 2**31
