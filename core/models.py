from django.db import models


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

    class Meta:
        verbose_name = "Settings"
        verbose_name_plural = "Settings"

    def __str__(self) -> str:
        return "Settings"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "AppSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


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
