"""Queueing background work (Celery) once the transaction that asked for it commits.

With no broker configured (CELERY_TASK_ALWAYS_EAGER, the newcomer's default) the task
runs in-process right after the commit, so nothing needs Redis to work.
"""

from functools import partial

from celery import Task
from django.db import transaction


def enqueue_after_commit(task: Task, **kwargs) -> None:
    """Queue `task(**kwargs)` when the current transaction commits; nothing if it rolls back.

    Outside a transaction it is queued at once. A failure to queue (broker down) or,
    in-process, of the task itself is logged by Django (`robust`), never raised: the
    data is committed and the caller's work is done.
    """
    transaction.on_commit(partial(task.delay, **kwargs), robust=True)
