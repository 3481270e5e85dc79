from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from core import identifiers


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


class Company(models.Model):
    """The seller on every invoice (a single row, pk=1; EN 16931 BG-4, DOMAIN.md rule 42).

    Edited by admins in Configuration; the `COMPANY_*` settings only seed it on first
    start (`Company.load()`). Posting freezes a copy on each invoice, so editing it
    never changes an invoice already posted.
    """

    name = models.CharField("legal name", max_length=200)
    street = models.CharField(max_length=200, blank=True)
    street2 = models.CharField("second line", max_length=200, blank=True)
    zip = models.CharField("postcode", max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = CountryField(default="BE")
    vat = models.CharField("VAT number", max_length=32, blank=True)
    company_registration = models.CharField(
        "company registration number",
        max_length=64,
        blank=True,
        help_text="Belgium: the enterprise number (0123.456.749).",
    )
    peppol_scheme = models.CharField(
        "Peppol scheme",
        max_length=4,
        blank=True,
        help_text="EAS code of the electronic address, e.g. 0208 (Belgian enterprise number).",
    )
    peppol_id = models.CharField("Peppol electronic address", max_length=64, blank=True)
    iban = models.CharField("IBAN", max_length=34, blank=True)
    bic = models.CharField("BIC", max_length=11, blank=True)
    email = models.EmailField("e-mail", blank=True)
    phone = models.CharField(max_length=32, blank=True)
    logo = models.ImageField(
        upload_to="company/",
        blank=True,
        help_text="PNG or JPEG, printed at the top of the invoice PDF.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "Company"
        verbose_name_plural = "Company"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """The identifiers are checked with python-stdnum and stored compact."""
        errors: dict[str, list] = {}
        try:
            self.__dict__.update(identifiers.party_identifiers(self))
        except ValidationError as error:
            errors.update(error.message_dict)
        for field, check in (("iban", identifiers.clean_iban), ("bic", identifiers.clean_bic)):
            try:
                setattr(self, field, check(getattr(self, field)))
            except ValidationError as error:
                errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)

    @classmethod
    def load(cls) -> "Company":
        """The seller, seeded from the `COMPANY_*` settings the first time it is read."""
        company = cls.objects.filter(pk=1).first()
        if company is None:
            company, _ = cls.objects.get_or_create(pk=1, defaults=company_seed())
        return company


def company_seed() -> dict:
    """The Company's first values, from the `COMPANY_*` settings (config/settings/base.py)."""
    return {
        "name": settings.COMPANY_NAME,
        "street": settings.COMPANY_STREET,
        "street2": settings.COMPANY_STREET2,
        "zip": settings.COMPANY_ZIP,
        "city": settings.COMPANY_CITY,
        "country": settings.COMPANY_COUNTRY,
        "vat": settings.COMPANY_VAT,
        "company_registration": settings.COMPANY_REGISTRATION,
        "peppol_scheme": settings.COMPANY_PEPPOL_SCHEME,
        "peppol_id": settings.COMPANY_PEPPOL_ID,
        "iban": settings.COMPANY_IBAN,
        "bic": settings.COMPANY_BIC,
        "email": settings.COMPANY_EMAIL,
        "phone": settings.COMPANY_PHONE,
    }
