"""The audit trail: who created, changed or deleted a record, when, and what changed.

django-simple-history keeps a historical row per save or delete of the audited models
(timesheet entries, sale orders and their lines, invoices, payments); the request
middleware records the user. Bulk updates (`QuerySet.update`) do not write history:
the services that use them write it themselves where it matters (`history_record_changed`
for entries that follow their ticket, with who moved them); others (invoicing links)
are audited through the records they save around them.
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, models
from django.utils import timezone

AUDITED = {
    "timesheets.timesheetentry": "Timesheet entry",
    "sales.saleorder": "Sales order",
    "sales.saleorderline": "Sales order line",
    "invoicing.invoice": "Invoice",
    "invoicing.payment": "Payment",
}
ACTIONS = {"+": "Created", "~": "Changed", "-": "Deleted"}
HIDDEN_FIELDS = {"updated_at", "created_at"}


@dataclass
class HistoryEvent:
    when: object
    who: str
    action: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)


def attribute_to(instance: models.Model, actor) -> None:
    """Name `actor` in the history row that the next save or delete of `instance` writes.

    The request middleware names the session's user; a service called from the API (token
    users authenticate after the middleware), a command or a task knows its actor only
    from its `actor` argument."""
    if actor is not None:
        instance._history_user = actor


def audited_model(label: str) -> type[models.Model] | None:
    if label not in AUDITED:
        return None
    return apps.get_model(label)


def record_history(model: type[models.Model], pk: int) -> list[HistoryEvent]:
    """Events of one record, newest first, each with the fields that changed."""
    records = list(
        model.history.filter(id=pk).select_related("history_user").order_by("-history_id")
    )
    events = []
    for index, record in enumerate(records):
        user = record.history_user
        who = (user.get_full_name() or user.username) if user else "system"
        event = HistoryEvent(record.history_date, who, ACTIONS.get(record.history_type, "?"))
        previous = records[index + 1] if index + 1 < len(records) else None
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                if change.field in HIDDEN_FIELDS:
                    continue
                event.changes.append((change.field, _show(change.old), _show(change.new)))
        events.append(event)
    return events


def _show(value) -> str:
    return "—" if value in (None, "") else str(value)


def history_record_created(model: type[models.Model], pks, *, user=None) -> None:
    """The "Created" history rows of records inserted in bulk, in one INSERT ... SELECT
    (no model instance per row): what django-simple-history writes on a single save."""
    _history_insert(model, pks, history_type="+", user=user)


def history_record_changed(model: type[models.Model], pks, *, user=None, reason=None) -> None:
    """The "Changed" history rows of records just updated in bulk (`QuerySet.update`), as
    they are now, naming `user` (who made the change) and `reason`."""
    _history_insert(model, pks, history_type="~", user=user, reason=reason)


def _history_insert(model, pks, *, history_type: str, user=None, reason=None) -> None:
    pks = list(pks)
    if not pks:
        return
    history = model.history.model
    source = {field.column for field in model._meta.concrete_fields}
    copied = [field.column for field in history._meta.concrete_fields if field.column in source]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in copied)
    user_id = getattr(user, "pk", None)
    with connection.cursor() as cursor:
        for offset in range(0, len(pks), 10_000):
            chunk = pks[offset : offset + 10_000]
            # Only quoted table and column names from the models are formatted in; the
            # values are parameters.
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({columns}, history_date, "  # noqa: S608
                "history_change_reason, history_type, history_user_id) "
                f"SELECT {columns}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
                f"WHERE {quote(model._meta.pk.column)} IN ({', '.join(['%s'] * len(chunk))})",
                [timezone.now(), reason, history_type, user_id, *chunk],
            )
