"""Queueing background work (Celery) once the transaction that asked for it commits.

With no broker configured (CELERY_TASK_ALWAYS_EAGER, the newcomer's default) the task
runs in-process right after the commit, so nothing needs Redis to work.
"""

from celery import Task
from celery.canvas import Signature
from django.db import transaction


def enqueue_after_commit(task: Task | Signature, **kwargs) -> None:
    """Queue `task(**kwargs)` when the current transaction commits; nothing if it rolls back.

    `task` may also be a signature, e.g. a `chain` of tasks that run one after another.

    Outside a transaction it is queued at once. A failure to queue (broker down) or,
    in-process, of the task itself is logged by Django (`robust`), never raised: the
    data is committed and the caller's work is done.
    """

    def enqueue() -> None:  # a named function: Django logs a robust callback's __qualname__
        task.delay(**kwargs)

    transaction.on_commit(enqueue, robust=True)
