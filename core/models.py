from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class AppSettings(models.Model):
    """The feature switches of the seed's Settings pages (a single row, pk=1)."""

    timesheets_enabled = models.BooleanField(
        "Timesheets",
        default=True,
        help_text="Project settings: log time on tasks and tickets.",
    )
    uom_enabled = models.BooleanField(
        "Units of Measure",
        default=True,
        help_text="Sales settings: sell services in other units than Hours.",
    )
    # DOMAIN.md rule 34: nothing dated on or before it is created or changed (entries,
    # invoice dates). Read it through `timesheets_locked_up_to()` below.
    timesheets_locked_up_to = models.DateField(
        "Timesheets locked up to",
        null=True,
        blank=True,
        help_text="No timesheet entry or invoice dated on or before this date is "
        "created or changed. Leave empty for no lock.",
    )

    class Meta:
        verbose_name = "Settings"
        verbose_name_plural = "Settings"

    def __str__(self) -> str:
        return "Settings"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # A lock in the future would refuse today's work; a period is closed once it ended.
        locked = self.timesheets_locked_up_to
        if locked is not None and locked > timezone.localdate():
            raise ValidationError(
                {"timesheets_locked_up_to": "The lock date cannot be after today."}
            )

    @classmethod
    def load(cls) -> "AppSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


def timesheets_locked_up_to() -> date | None:
    """The lock date of DOMAIN.md rule 34 (Configuration), or None when nothing is locked.

    Everything dated on or before it is closed: timesheet entries and invoice dates.
    """
    return (
        AppSettings.objects.filter(pk=1).values_list("timesheets_locked_up_to", flat=True).first()
    )


def check_not_locked(day: date, *, field: str, label: str) -> None:
    """Refuse `day` when it is on or before the lock date: a field error on `field`.

    `label` names what is dated, e.g. "An invoice" or "A timesheet entry".
    """
    locked = timesheets_locked_up_to()
    if locked is not None and day <= locked:
        raise ValidationError(
            {
                field: f"{label} cannot be dated {day.isoformat()}: everything up to "
                f"{locked.isoformat()} is locked (Configuration, Timesheets locked up to)."
            }
        )


class Sequence(models.Model):
    """A gapless counter per code and year, taken under a row lock (see core.sequences)."""

    code = models.CharField(max_length=20)
    year = models.PositiveIntegerField(default=0)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code", "year"], name="core_sequence_code_year_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.code}/{self.year}: {self.last_number}"
