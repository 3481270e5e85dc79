"""Gapless numbering: a counter row locked with SELECT ... FOR UPDATE.

The number is taken inside the caller's transaction, so a rollback also
rolls back the counter and leaves no gap; concurrent callers queue on the row.
"""

from django.db import IntegrityError, transaction

from core.models import Sequence


def sequence_next(*, code: str, year: int = 0) -> int:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next must run inside a transaction")
    try:
        with transaction.atomic():
            Sequence.objects.get_or_create(code=code, year=year)
    except IntegrityError:
        pass  # another transaction created the row first; we lock it below
    seq = Sequence.objects.select_for_update().get(code=code, year=year)
    seq.last_number += 1
    seq.save(update_fields=["last_number"])
    return seq.last_number
