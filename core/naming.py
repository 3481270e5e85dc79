"""How a record names itself, for the lower apps that show an upper app's record.

A timesheet entry shows the invoice that bills it, but timesheets sits below invoicing
and does not import it: the rule lives here, and the model's `__str__` uses it too, so
it is written once.
"""

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
INVOICE_TYPE_LABELS = {INVOICE: "Customer Invoice", CREDIT_NOTE: "Credit Note"}


def invoice_name(*, pk: int | None, number: str | None, move_type: str) -> str:
    """An invoice or credit note as it names itself: its number once posted, else
    "Draft Customer Invoice (<id>)" or "Draft Credit Note (<id>)"."""
    return number or f"Draft {INVOICE_TYPE_LABELS.get(move_type, move_type)} ({pk})"
