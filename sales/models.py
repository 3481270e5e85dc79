from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django_countries import countries
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from core import identifiers
from core.numbers import LONG_TEXT_MAX, SHORT_TEXT_MAX, round_half_up

ZERO = Decimal("0")

# What an order line may hold (reliability finding 2). Every later figure is computed
# from these (the line's amounts, the order's totals, its invoices), and each must fit
# the amount columns (max_digits=14, decimal_places=2) and the API's amount fields, so
# they are bounded here, in one place, used by the fields' validators, `clean()`, the
# services, the forms and the serializers.
LINE_QUANTITY_MAX = Decimal("1000000")  # units of the line (hours, days...)
PRICE_UNIT_MAX = Decimal("10000000")  # per unit, in the company currency
TAX_RATE_MAX = Decimal("100")  # percent
# The largest amount an amount column holds: a line's amount with tax, and the order's
# total with tax, are at most this.
AMOUNT_MAX = Decimal("999999999999.99")


def amount_with_tax(quantity: Decimal, price_unit: Decimal, tax_rate: Decimal) -> Decimal:
    """A line's amount with tax, rounded per line as invoices do (DOMAIN.md example 8)."""
    untaxed = round_half_up(quantity * price_unit)
    return untaxed + round_half_up(untaxed * tax_rate / 100)


def amount_too_large_message(amount: Decimal, *, what: str = "This line's amount") -> str:
    return (
        f"{what} with tax would be {amount:,.2f}; it can be at most {AMOUNT_MAX:,.2f}. "
        "Lower the quantity or the unit price."
    )


class VatCategory(models.TextChoices):
    """UNCL5305 VAT category codes EN 16931 allows on a line (BT-151, DOMAIN.md rule 43)."""

    STANDARD = "S", "Standard rate"
    ZERO = "Z", "Zero rated"
    EXEMPT = "E", "Exempt from VAT"
    REVERSE_CHARGE = "AE", "Reverse charge"


# What the invoice says when the law is not named on the product (BT-120).
REVERSE_CHARGE_REASON = (
    "Reverse charge: VAT to be paid by the customer (Art. 196 Directive 2006/112/EC)"
)


def vat_fields_check(*, category: str, rate: Decimal | None, reason: str) -> dict[str, str]:
    """The field errors of a VAT category with its rate and exemption reason: Z, E and
    AE have 0%; E needs its exemption reason. (S at 0% is read as Z: `vat_normalized`.)"""
    errors = {}
    if rate is None or not isinstance(rate, Decimal):
        return errors
    if category != VatCategory.STANDARD and rate != 0:
        label = VatCategory(category).label if category in VatCategory.values else category
        errors["tax_rate"] = f"{label} has a tax rate of 0%."
    if category == VatCategory.EXEMPT and not (reason or "").strip():
        errors["vat_exemption_reason"] = (
            "Give the exemption reason printed on the invoice (e.g. Article 44 of the VAT Code)."
        )
    return errors


def vat_normalized(category: str, rate: Decimal) -> str:
    """EN 16931 has no standard rate of 0% (BR-S-05): a Standard line at 0% is Zero rated,
    so a client that only sends `tax_rate: 0` gets a valid category."""
    if category == VatCategory.STANDARD and rate == 0:
        return VatCategory.ZERO
    return category


class WorkType(models.Model):
    """What kind of work an entry is, and whether it is billed (DOMAIN.md rule 27).

    Billable: billed at its line's rounding rule. No charge: shown to the customer on
    the invoice appendix, billed 0:00. Non-billable: internal, never on an invoice.
    Lives in sales (the lowest app that needs it: order lines are rate lines for a
    work type, teams and entries above point to it).
    """

    BILLABLE = "billable"
    NO_CHARGE = "no_charge"
    NON_BILLABLE = "non_billable"
    BILLING_CHOICES = [
        (BILLABLE, "Billable"),
        (NO_CHARGE, "No charge"),
        (NON_BILLABLE, "Non-billable"),
    ]
    DEFAULT_NAME = "Support"

    name = models.CharField(max_length=100, unique=True)
    billing = models.CharField(max_length=16, choices=BILLING_CHOICES, default=BILLABLE)
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = "work type"

    def __str__(self) -> str:
        return self.name

    @classmethod
    def default(cls) -> "WorkType":
        """ "Support", Billable: the work type of an entry when nothing else says (rule 27)."""
        work_type = cls.objects.filter(name=cls.DEFAULT_NAME).first()
        if work_type is None:
            work_type, _ = cls.objects.get_or_create(
                name=cls.DEFAULT_NAME, defaults={"billing": cls.BILLABLE}
            )
        return work_type


class RoundingMode(models.TextChoices):
    UP = "up", "Up"
    NEAREST = "nearest", "Nearest (half up)"


# Bounds of a rounding rule (rule 29): an increment of a day at most, a minimum of a day.
ROUNDING_INCREMENT_MAX = 24 * 60
MINIMUM_MINUTES_MAX = 24 * 60


def rounded_minutes(worked: int, *, increment: int, mode: str, minimum: int) -> int:
    """DOMAIN.md rule 29: billed = max(minimum, rounded(worked)) for worked > 0, else 0.

    15 up, minimum 30: 7 -> 30, 31 -> 45, 50 -> 60, 60 -> 60.
    15 nearest (half up), no minimum: 7 -> 0, 8 -> 15, 22 -> 15, 23 -> 30.
    Whole minutes throughout (integers), so no conversion error can creep in.
    """
    if worked <= 0:
        return 0
    increment = max(int(increment or 1), 1)
    if mode == RoundingMode.NEAREST:
        # Half up: a remainder of exactly half an increment goes up.
        remainder = worked % increment
        rounded = worked - remainder + (increment if remainder * 2 >= increment else 0)
    else:
        rounded = -(-worked // increment) * increment
    return max(int(minimum or 0), rounded)


class RoundingRule(models.Model):
    """Rule 29's three fields, on the service product and copied to each order line."""

    rounding_increment = models.PositiveIntegerField(
        "rounding increment (minutes)",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(ROUNDING_INCREMENT_MAX)],
        help_text="Billed time is rounded to this many minutes per entry (1: no rounding).",
    )
    rounding_mode = models.CharField(
        max_length=8, choices=RoundingMode.choices, default=RoundingMode.UP
    )
    minimum_minutes = models.PositiveIntegerField(
        "minimum per entry (minutes)",
        default=0,
        validators=[MaxValueValidator(MINIMUM_MINUTES_MAX)],
        help_text="An entry is billed at least this long (0: no minimum).",
    )

    class Meta:
        abstract = True

    ROUNDING_FIELDS = ("rounding_increment", "rounding_mode", "minimum_minutes")

    def billed_minutes_for(self, worked: int) -> int:
        return rounded_minutes(
            worked,
            increment=self.rounding_increment,
            mode=self.rounding_mode,
            minimum=self.minimum_minutes,
        )

    @property
    def rounding_display(self) -> str:
        if self.rounding_increment <= 1 and not self.minimum_minutes:
            return "No rounding"
        parts = []
        if self.rounding_increment > 1:
            how = "up" if self.rounding_mode == RoundingMode.UP else "to the nearest"
            parts.append(f"{how} {self.rounding_increment} min")
        if self.minimum_minutes:
            parts.append(f"minimum {self.minimum_minutes} min")
        return ", ".join(parts).capitalize()


class UomCategory(models.Model):
    name = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "unit of measure category"
        verbose_name_plural = "unit of measure categories"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Uom(models.Model):
    """A unit of measure.

    `ratio` is read with `uom_type`: a *bigger* unit holds `ratio` reference
    units (Days: 8 Hours), a *smaller* unit is 1/`ratio` of the reference
    (Minutes: 60 per Hour). Conversions are done on exact fractions and
    rounded half-up once, at the target unit's `rounding`.
    """

    REFERENCE = "reference"
    BIGGER = "bigger"
    SMALLER = "smaller"
    TYPE_CHOICES = [
        (REFERENCE, "Reference unit of its category"),
        (BIGGER, "Bigger than the reference"),
        (SMALLER, "Smaller than the reference"),
    ]

    name = models.CharField(max_length=64, unique=True)
    category = models.ForeignKey(UomCategory, on_delete=models.PROTECT, related_name="uoms")
    uom_type = models.CharField("type", max_length=16, choices=TYPE_CHOICES, default=REFERENCE)
    ratio = models.DecimalField(
        max_digits=12,
        decimal_places=6,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.000001"))],
        help_text="Bigger: reference units in one of this unit (Days: 8). "
        "Smaller: this unit in one reference unit (Minutes: 60).",
    )
    rounding = models.DecimalField(
        "rounding precision",
        max_digits=8,
        decimal_places=4,
        default=Decimal("0.01"),
        validators=[MinValueValidator(Decimal("0.0001"))],
    )
    unece_code = models.CharField(
        "UN/ECE code",
        max_length=3,
        default="C62",
        help_text="UN/ECE Recommendation 20 code on e-invoices: HUR (hour), DAY, MIN, C62 (one).",
    )
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "unit of measure"
        verbose_name_plural = "units of measure"
        ordering = ["category__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["category"],
                condition=models.Q(uom_type="reference"),
                name="sales_uom_one_reference_per_category",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.uom_type == self.REFERENCE and self.ratio != 1:
            raise ValidationError({"ratio": "A reference unit has a ratio of 1."})

    @property
    def step(self) -> Decimal:
        """The rounding precision as a quantize step.

        The database gives 0.0100 for 0.01, so it is normalised; quantities are stored
        with 2 decimals, so a finer precision still rounds to 0.01.
        """
        return max(self.rounding.normalize(), Decimal("0.01"))

    @property
    def reference_per_unit(self) -> Fraction:
        """How many reference units one of this unit is (Days: 8, Minutes: 1/60)."""
        ratio = Fraction(self.ratio)
        if self.uom_type == self.BIGGER:
            return ratio
        if self.uom_type == self.SMALLER:
            return 1 / ratio
        return Fraction(1)

    @property
    def factor(self) -> Decimal:
        """Reference units per unit, as a decimal (Days 8, Hours 1, Minutes 0.016667)."""
        return round_half_up(self.reference_per_unit, Decimal("0.000001"))

    def to_reference_exact(self, qty: Decimal | Fraction | int) -> Fraction:
        return Fraction(qty) * self.reference_per_unit

    def from_reference_exact(self, qty: Decimal | Fraction | int) -> Fraction:
        return Fraction(qty) / self.reference_per_unit

    def convert(self, qty: Decimal | Fraction | int, to_uom: "Uom") -> Decimal:
        """Convert `qty` of this unit into `to_uom`, rounded at its precision."""
        if to_uom.category_id != self.category_id:
            raise ValidationError(
                f"Cannot convert {self.name} ({self.category}) into "
                f"{to_uom.name} ({to_uom.category}): the categories differ."
            )
        exact = to_uom.from_reference_exact(self.to_reference_exact(qty))
        return round_half_up(exact, to_uom.step)

    def minutes_to_qty(self, minutes: int) -> Decimal:
        """Whole minutes (working time) as a quantity of this unit, rounded once."""
        exact = self.from_reference_exact(Fraction(int(minutes or 0), 60))
        return round_half_up(exact, self.step)

    def qty_to_hours(self, qty: Decimal) -> Decimal:
        """A quantity of this working-time unit in hours, rounded to 0.01."""
        return round_half_up(self.to_reference_exact(qty), Decimal("0.01"))


def default_country() -> str:
    """A new customer is in the seller's country unless told otherwise: every e-invoice
    needs the buyer's country (EN 16931 BR-11)."""
    return settings.COMPANY_COUNTRY


class Customer(models.Model):
    """A buyer (EN 16931 BG-7): a structured postal address, identifiers checked with
    python-stdnum (core.identifiers), an electronic address for Peppol."""

    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    invoice_email = models.EmailField(
        "invoicing e-mail", blank=True, help_text="Where invoices are sent; else the e-mail above."
    )
    street = models.CharField(max_length=200, blank=True)
    street2 = models.CharField("second line", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    zip = models.CharField("postcode", max_length=20, blank=True)
    country = CountryField(blank=True, default=default_country)
    vat = models.CharField("VAT number", max_length=32, blank=True)
    company_registration = models.CharField(
        "company registration number", max_length=64, blank=True
    )
    peppol_scheme = models.CharField(
        "Peppol scheme",
        max_length=4,
        blank=True,
        help_text="EAS code of the electronic address, e.g. 0208 (Belgian enterprise number).",
    )
    peppol_id = models.CharField("Peppol electronic address", max_length=64, blank=True)
    payment_terms_days = models.PositiveIntegerField(
        "payment terms (days)", default=30, validators=[MaxValueValidator(3650)]
    )

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Identifiers checked and stored compact (a BE VAT number with a wrong check
        digit is refused)."""
        self.__dict__.update(customer_identifiers(self))

    @property
    def address_lines(self) -> list[str]:
        city = " ".join(p for p in [self.zip, self.city] if p)
        country = countries.name(self.country) if self.country else ""
        return [p for p in [self.street, self.street2, city, country] if p]

    @property
    def billing_email(self) -> str:
        """Where invoices are mailed: the invoicing e-mail, else the e-mail."""
        return self.invoice_email or self.email


def customer_identifiers(customer: "Customer | object") -> dict[str, str]:
    """A customer's VAT number, registration number and electronic address, checked and
    compacted (`core.identifiers.party_identifiers`); works on a model instance or
    anything with the same attributes (a serializer's data)."""
    return identifiers.party_identifiers(customer)


class Product(RoundingRule):
    SERVICE = "service"
    CONSUMABLE = "consumable"
    TYPE_CHOICES = [(SERVICE, "Service"), (CONSUMABLE, "Consumable")]

    POLICY_ORDER = "order"
    POLICY_DELIVERY = "delivery"
    POLICY_CHOICES = [
        (POLICY_ORDER, "Ordered quantities"),
        (POLICY_DELIVERY, "Delivered quantities"),
    ]

    TRACKING_NO = "no"
    TRACKING_TASK_IN_PROJECT = "task_in_project"
    TRACKING_TASK_NEW_PROJECT = "task_new_project"
    TRACKING_CHOICES = [
        (TRACKING_NO, "Don't create task"),
        (TRACKING_TASK_IN_PROJECT, "Create a task in an existing project"),
        (TRACKING_TASK_NEW_PROJECT, "Create a task in a new project"),
    ]

    name = models.CharField(max_length=200)
    default_code = models.CharField("internal reference", max_length=64, blank=True)
    type = models.CharField(max_length=16, choices=TYPE_CHOICES, default=SERVICE)
    uom = models.ForeignKey(
        Uom, on_delete=models.PROTECT, related_name="+", verbose_name="unit of measure"
    )
    list_price = models.DecimalField(
        "sales price",
        max_digits=12,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(PRICE_UNIT_MAX)],
    )
    tax_rate = models.DecimalField(
        "tax rate (%)",
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(TAX_RATE_MAX)],
    )
    vat_category = models.CharField(
        "VAT category", max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    vat_exemption_reason = models.CharField(
        "VAT exemption reason",
        max_length=200,
        blank=True,
        help_text="Printed on the invoice for Exempt (and Reverse charge) lines.",
    )
    invoice_policy = models.CharField(
        "invoicing policy", max_length=16, choices=POLICY_CHOICES, default=POLICY_DELIVERY
    )
    service_tracking = models.CharField(
        max_length=32, choices=TRACKING_CHOICES, default=TRACKING_TASK_IN_PROJECT
    )
    # Lower app pointing up by name only: the project a task is created in.
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where tasks are created with 'Create a task in an existing project'.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.type != self.SERVICE and self.service_tracking != self.TRACKING_NO:
            errors["service_tracking"] = "Only service products can create tasks."
        if self.service_tracking == self.TRACKING_TASK_IN_PROJECT and not self.project_id:
            errors["project"] = "Choose the project the tasks are created in."
        if (
            self.uom_id
            and self.service_tracking != self.TRACKING_NO
            and self.uom.category.name != "Working time"
        ):
            errors["uom"] = "A service that creates tasks is sold in a unit of working time."
        if isinstance(self.tax_rate, Decimal):
            self.vat_category = vat_normalized(self.vat_category, self.tax_rate)
        errors.update(
            vat_fields_check(
                category=self.vat_category, rate=self.tax_rate, reason=self.vat_exemption_reason
            )
        )
        if errors:
            raise ValidationError(errors)


class SaleOrder(models.Model):
    DRAFT = "draft"
    SALE = "sale"
    CANCEL = "cancel"
    STATE_CHOICES = [(DRAFT, "Quotation"), (SALE, "Sales Order"), (CANCEL, "Cancelled")]

    name = models.CharField("number", max_length=32, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    state = models.CharField(max_length=16, choices=STATE_CHOICES, default=DRAFT)
    date_order = models.DateField("order date")
    customer_reference = models.CharField(
        "customer reference",
        max_length=100,
        blank=True,
        help_text="The buyer's reference or purchase order number, printed on its invoices.",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, validators=[MaxLengthValidator(LONG_TEXT_MAX)])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["customer", "state"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_confirmed(self) -> bool:
        return self.state == self.SALE

    # The figures below read `self.lines.all()`: prefetch lines (with order) for lists.
    @property
    def amount_untaxed(self) -> Decimal:
        return sum((line.amount_untaxed for line in self.lines.all()), ZERO)

    @property
    def amount_tax(self) -> Decimal:
        return sum((line.amount_tax for line in self.lines.all()), ZERO)

    @property
    def amount_total(self) -> Decimal:
        return self.amount_untaxed + self.amount_tax

    @property
    def invoice_status(self) -> str:
        """DOMAIN.md rule 17, order level."""
        statuses = [line.invoice_status for line in self.lines.all()]
        if InvoiceStatus.TO_INVOICE in statuses:
            return InvoiceStatus.TO_INVOICE
        if InvoiceStatus.UPSELLING in statuses:
            return InvoiceStatus.UPSELLING
        if statuses and all(s == InvoiceStatus.INVOICED for s in statuses):
            return InvoiceStatus.INVOICED
        return InvoiceStatus.NO

    def get_invoice_status_display(self) -> str:
        return InvoiceStatus(self.invoice_status).label


class InvoiceStatus(models.TextChoices):
    NO = "no", "Nothing to invoice"
    TO_INVOICE = "to_invoice", "To invoice"
    UPSELLING = "upselling", "Upselling"
    INVOICED = "invoiced", "Fully invoiced"


class SaleOrderLine(RoundingRule):
    """A line of a sale order.

    `delivered_minutes` / `qty_delivered` are kept by the timesheet rollup and
    `qty_invoiced` by the invoicing services, each recomputed from source rows
    under a lock on this line. The rest is derived (DOMAIN.md rules 16-18).
    """

    order = models.ForeignKey(SaleOrder, on_delete=models.CASCADE, related_name="lines")
    sequence = models.PositiveIntegerField(default=10)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    description = models.TextField(validators=[MaxLengthValidator(SHORT_TEXT_MAX)])
    quantity = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(ZERO), MaxValueValidator(LINE_QUANTITY_MAX)],
    )
    uom = models.ForeignKey(
        Uom, on_delete=models.PROTECT, related_name="+", verbose_name="unit of measure"
    )
    price_unit = models.DecimalField(
        "unit price",
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(ZERO), MaxValueValidator(PRICE_UNIT_MAX)],
    )
    tax_rate = models.DecimalField(
        "tax rate (%)",
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(TAX_RATE_MAX)],
    )
    vat_category = models.CharField(
        "VAT category", max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    vat_exemption_reason = models.CharField("VAT exemption reason", max_length=200, blank=True)
    invoice_policy = models.CharField(
        max_length=16, choices=Product.POLICY_CHOICES, default=Product.POLICY_DELIVERY
    )
    delivered_minutes = models.BigIntegerField(default=0, editable=False)
    qty_delivered = models.DecimalField(
        "delivered", max_digits=14, decimal_places=2, default=ZERO, editable=False
    )
    qty_invoiced = models.DecimalField(
        "invoiced", max_digits=14, decimal_places=2, default=ZERO, editable=False
    )
    # Rule 31: quantities written down (kept by invoicing, like qty_invoiced).
    qty_written_down = models.DecimalField(
        "written down", max_digits=14, decimal_places=2, default=ZERO, editable=False
    )
    # Rule 30: the rate line of a work type and/or an employee on its order.
    rate_work_type = models.ForeignKey(
        WorkType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="rate line for work type",
        help_text="Entries of this work type on the order's tasks are billed on this line.",
    )
    rate_employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="rate line for employee",
        help_text="Entries of this employee on the order's tasks are billed on this line.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["order_id", "sequence", "id"]

    def __str__(self) -> str:
        return f"{self.order.name} - {self.first_description_line}"

    @property
    def is_rate_line(self) -> bool:
        return self.rate_work_type_id is not None or self.rate_employee_id is not None

    def clean(self) -> None:
        """The line's amount with tax must fit an amount column (AMOUNT_MAX)."""
        figures = (self.quantity, self.price_unit, self.tax_rate)
        if any(not isinstance(value, Decimal) or not value.is_finite() for value in figures):
            return  # the field validators report it
        bounds = (LINE_QUANTITY_MAX, PRICE_UNIT_MAX, TAX_RATE_MAX)
        if any(value > bound for value, bound in zip(figures, bounds, strict=True)):
            return  # its field validator says which figure is too large
        amount = amount_with_tax(*figures)
        if amount > AMOUNT_MAX:
            raise ValidationError(amount_too_large_message(amount))

    @property
    def first_description_line(self) -> str:
        lines = (self.description or "").strip().splitlines()
        return lines[0].strip() if lines else self.product.name

    @property
    def is_prepaid(self) -> bool:
        return self.invoice_policy == Product.POLICY_ORDER

    @property
    def qty_to_invoice(self) -> Decimal:
        if self.order.state != SaleOrder.SALE:
            return ZERO
        base = self.quantity if self.is_prepaid else self.qty_delivered
        return base - self.qty_invoiced

    @property
    def invoice_status(self) -> str:
        if self.order.state != SaleOrder.SALE:
            return InvoiceStatus.NO
        if self.qty_to_invoice != 0:
            return InvoiceStatus.TO_INVOICE
        if self.is_prepaid and self.qty_delivered > self.quantity:
            return InvoiceStatus.UPSELLING
        if self.qty_invoiced >= self.quantity:
            return InvoiceStatus.INVOICED
        return InvoiceStatus.NO

    def get_invoice_status_display(self) -> str:
        return InvoiceStatus(self.invoice_status).label

    @property
    def remaining_hours(self) -> Decimal | None:
        """Ordered minus delivered, in hours (prepaid lines only); may be negative."""
        if not self.is_prepaid:
            return None
        ordered_minutes = self.uom.to_reference_exact(self.quantity) * 60
        return round_half_up((ordered_minutes - self.delivered_minutes) / 60, Decimal("0.01"))

    @property
    def remaining_minutes(self) -> int | None:
        if not self.is_prepaid:
            return None
        ordered_minutes = self.uom.to_reference_exact(self.quantity) * 60
        return int(round_half_up(ordered_minutes - self.delivered_minutes, Decimal(1)))

    @property
    def amount_untaxed(self) -> Decimal:
        return round_half_up(self.quantity * self.price_unit)

    @property
    def amount_tax(self) -> Decimal:
        return round_half_up(self.amount_untaxed * self.tax_rate / 100)

    @property
    def amount_total(self) -> Decimal:
        return self.amount_untaxed + self.amount_tax
