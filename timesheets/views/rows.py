"""What the Timesheets pages' rows share: user text escaped once, and how an entry's
work type, billed time and approval read there (DOMAIN.md rules 27, 28, 33)."""

import datetime
from html import escape  # Django's, minus its lazy-string wrapper: 1,400 calls a page

from django.utils import timezone
from django.utils.safestring import SafeString

from core.numbers import format_minutes
from timesheets.models import TimesheetEntry


def escaped(text: str) -> SafeString:
    """User text escaped here, once: the template then prints it without Django's escape
    (a lazy-string wrapper, 10 us a call; hundreds a page)."""
    return SafeString(escape(text))


# The Billed column's word instead of a duration (selectors.billed_marker), and its badge.
MARKER_BADGES = {
    "Non-billable": "badge",
    "To approve": "badge badge-to-approve",
    "No charge": "badge badge-no-charge",
}
APPROVAL_LABELS = dict(TimesheetEntry.APPROVAL_CHOICES)
APPROVAL_BADGES = {
    TimesheetEntry.TO_APPROVE: "badge badge-to-approve",
    TimesheetEntry.APPROVED: "badge badge-approved",
}


NON_BILLABLE_MARKER = "Non-billable"


def adjustable(*, invoiced: bool, marker: str) -> bool:
    """Whether a manager is offered to adjust the billed time (rule 28): not once
    invoiced, and not for an entry that is never billed (its billed time stays 0)."""
    return not invoiced and marker != NON_BILLABLE_MARKER


def adjust_note(*, reason: str, by: str, at: datetime.datetime | None) -> str:
    """A manager's adjustment of billed time as a list shows it: why, who and when."""
    when = f"{timezone.localtime(at):%Y-%m-%d %H:%M}" if at else ""
    who_and_when = ", ".join(part for part in (by, when) if part)
    return f"{reason} ({who_and_when})" if who_and_when else reason


def billed_values(
    *,
    marker: str,
    billed_minutes: int,
    override: int | None,
    reason: str,
    by: str,
    at: datetime.datetime | None,
) -> dict:
    """The Billed cell's values for a row template: the duration or the marker (with its
    badge), and the adjustment's note (escaped) when a manager set the billed time."""
    return {
        "billed": SafeString(format_minutes(billed_minutes)),
        "billed_marker": SafeString(marker),
        "billed_badge": SafeString(MARKER_BADGES.get(marker, "")),
        "adjusted": override is not None,
        "adjust_note": escaped(adjust_note(reason=reason, by=by, at=at))
        if override is not None
        else "",
    }


def approval_values(approval_state: str | None) -> dict:
    """The approval badge of a row (none where the team does not approve time)."""
    return {
        "approval": SafeString(APPROVAL_LABELS.get(approval_state, "")),
        "approval_badge": SafeString(APPROVAL_BADGES.get(approval_state, "")),
    }
