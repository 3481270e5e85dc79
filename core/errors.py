"""Errors the services raise.

`ValidationError` (Django's) means the input is wrong: the form shows it, the API
answers 400. `ConflictError` means the input is fine but the record's state
forbids the change (a locked timesheet entry, a posted invoice): the form shows
it too, the API answers 409.
"""

from django.core.exceptions import ValidationError


class ConflictError(ValidationError):
    """The record's state forbids this change."""
