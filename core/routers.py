"""Read scaling: an optional replica (DATABASE_REPLICA_URL) for lists and reports.

Reads go to the primary ("default") unless code runs inside `use_replica()`, which
list and report selectors opt into. Writes always go to the primary, and so does
`select_for_update()` (Django routes a locking query as a write), hence every
sequence number. A transaction opened inside `use_replica()` (a service called from
a list, say) reads from the primary again: what it writes is decided on fresh rows.
Without a replica configured, `use_replica()` changes nothing.

A replica lags a moment behind the primary, so only pages that may show data a
second old use it; a page that reads what its own request just wrote must not.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

# The primary's transaction depth when `use_replica()` was entered; None outside it.
_replica_depth: ContextVar[int | None] = ContextVar("replica_depth", default=None)


def _primary_depth() -> int:
    return len(connections[DEFAULT_DB_ALIAS].atomic_blocks)


@contextmanager
def use_replica() -> Iterator[None]:
    """Send the reads made in this block (or decorated function) to the replica."""
    token = _replica_depth.set(_primary_depth())
    try:
        yield
    finally:
        _replica_depth.reset(token)


def replica_configured() -> bool:
    return REPLICA in connections.settings


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        depth = _replica_depth.get()
        if depth is not None and replica_configured() and _primary_depth() <= depth:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db != REPLICA  # replication migrates the replica, never `migrate`
