import datetime
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.numbers import SHORT_TEXT_MAX, format_minutes
from sales.models import WorkType

MAX_MINUTES_PER_DAY = 24 * 60

# The dates an entry may have (DOMAIN.md rule 34: not after tomorrow). The lower bound is
# ours: no helpdesk time is older than 2000, and a date such as 0001-01-01 or 9999-12-31
# is a typing slip that would also overflow the week grid's date arithmetic.
EARLIEST_ENTRY_DATE = datetime.date(2000, 1, 1)


def latest_entry_date() -> datetime.date:
    """Tomorrow, in the site's time zone: the latest date an entry may have (rule 34)."""
    return timezone.localdate() + datetime.timedelta(days=1)


class EntryPlace(NamedTuple):
    """Where an entry counts: the keys of the three rollups (Delivered of the order line,
    Task.logged_minutes, Project.untasked_minutes)."""

    sale_line_id: int | None
    task_id: int | None
    project_id: int | None


class TimesheetEntry(models.Model):
    """Time spent, in whole minutes: one record, shown on its ticket, task and Timesheets.

    `sale_line` is always the line of `task` (or empty: non-billable), kept by the
    timesheet services. `invoice_line` is the live invoice line billing this entry;
    the invoicing services set it and clear it when that invoice is cancelled or
    credited, so a non-empty value means the entry is locked (DOMAIN.md rule 21).
    """

    date = models.DateField(db_index=True)
    # No single-column index on the foreign keys: each leads one of the (key, date)
    # indexes below, which serve the same lookups; every index costs each write
    # (the billing run links tens of thousands of entries at once).
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="timesheet_entries",
        db_index=False,
    )
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.PROTECT,
        related_name="timesheet_entries",
        db_index=False,
    )
    task = models.ForeignKey(
        "projects.Task",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="timesheet_entries",
        db_index=False,
    )
    ticket = models.ForeignKey(
        "helpdesk.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="timesheet_entries",
        db_index=False,
    )
    description = models.TextField(blank=True, validators=[MaxLengthValidator(SHORT_TEXT_MAX)])
    # Worked minutes: what was logged, exact (rule 28; rule 12's 24:00 cap applies to these).
    minutes = models.PositiveIntegerField("worked minutes")
    work_type = models.ForeignKey(
        "sales.WorkType",
        on_delete=models.PROTECT,
        related_name="timesheet_entries",
        db_index=False,
    )
    # Staff may mark their own uninvoiced entry non-billable (rule 27).
    non_billable = models.BooleanField(default=False)
    # Billed minutes (rule 28), kept by the timesheet services: 0 unless the entry is
    # billable, else the line's rounding rule applied to the minutes, or the override.
    billed_minutes = models.PositiveIntegerField(default=0, editable=False)
    billed_minutes_override = models.PositiveIntegerField(
        null=True, blank=True, editable=False, validators=[MaxValueValidator(MAX_MINUTES_PER_DAY)]
    )
    adjust_reason = models.CharField(max_length=200, blank=True, editable=False)
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        editable=False,
    )
    adjusted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Rule 33: null where the team does not approve time.
    TO_APPROVE = "to_approve"
    APPROVED = "approved"
    APPROVAL_CHOICES = [(TO_APPROVE, "To approve"), (APPROVED, "Approved")]
    approval_state = models.CharField(
        max_length=16, choices=APPROVAL_CHOICES, null=True, blank=True, editable=False
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        editable=False,
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    sale_line = models.ForeignKey(
        "sales.SaleOrderLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="timesheet_entries",
        db_index=False,
        editable=False,
    )
    invoice_line = models.ForeignKey(
        "invoicing.InvoiceLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="timesheets",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = "timesheet entry"
        verbose_name_plural = "timesheet entries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gt=0) & models.Q(minutes__lte=MAX_MINUTES_PER_DAY),
                name="timesheets_entry_minutes_0_to_24h",
            )
        ]
        indexes = [
            models.Index(fields=["employee", "date"]),
            # The rollups sum a line's and a task's minutes under their row lock on every
            # write: with `minutes` included, an index-only scan however many entries the
            # line or task has (B1; PostgreSQL, SQLite ignores `include`).
            models.Index(
                fields=["sale_line", "invoice_line", "date"],
                include=["billed_minutes"],
                name="timesheets_line_billed",
            ),
            models.Index(fields=["ticket", "date"]),
            models.Index(fields=["task", "date"], include=["minutes"], name="timesheets_task_date"),
            models.Index(fields=["project", "date"]),
            # rollup_entries sums a project's entries without a task (Project.untasked_minutes):
            # an index-only scan of just those (PostgreSQL; SQLite ignores `include`).
            models.Index(
                fields=["project"],
                include=["minutes"],
                condition=models.Q(task__isnull=True),
                name="timesheets_untasked_minutes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.employee} {self.duration_display}"

    # Where the entry counted when it was loaded or last rolled up; None for an entry
    # not yet saved. The one record of an entry's previous place: the save and delete
    # signals (timesheets/signals.py -> services.rollup_entry) recompute the old line,
    # task and project as well as the new ones, whoever saved it (a service, the admin
    # or a shell).
    loaded_place: EntryPlace | None = None

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance.remember_place()
        return instance

    def remember_place(self) -> None:
        """Record the entry's place as it is now (fields not loaded count as unknown)."""
        loaded = self.__dict__
        self.loaded_place = EntryPlace(
            loaded.get("sale_line_id"), loaded.get("task_id"), loaded.get("project_id")
        )

    @property
    def duration_display(self) -> str:
        return format_minutes(self.minutes)

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.01"))

    @property
    def is_locked(self) -> bool:
        return self.invoice_line_id is not None

    @property
    def is_billable(self) -> bool:
        """On a sale line, not Non-billable, approved where approval is on (rule 28)."""
        return (
            self.sale_line_id is not None
            and not self.non_billable
            and self.work_type.billing != WorkType.NON_BILLABLE
            and self.approval_state != self.TO_APPROVE
        )

    @property
    def is_no_charge(self) -> bool:
        return self.work_type.billing == WorkType.NO_CHARGE

    @property
    def billed_display(self) -> str:
        return format_minutes(self.billed_minutes)

    @property
    def is_adjusted(self) -> bool:
        return self.billed_minutes_override is not None

    @property
    def billing(self) -> str:
        """The API's `billing`: billable, unless the entry or its work type is not."""
        return "non_billable" if self.non_billable else "billable"
