"""Configuration records: settings, the company, units, customers, products, projects, teams,
work types."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from api.serializers.base import (
    ApiModelSerializer,
    CountryCodeField,
    IdRelatedField,
    MinutesAsHoursField,
    PlainDateField,
    named_choice_field,
    read_decimal,
)
from core.models import AppSettings, Company
from helpdesk.models import HelpdeskTeam
from projects.models import Project
from sales.models import Customer, Product, Uom, WorkType

LOCK_DATE_HELP = (
    "Timesheets locked up to (DOMAIN.md rule 34): no entry or invoice dated on or before "
    "it is created or changed; null: no lock. Not after today."
)


class SettingsSerializer(ApiModelSerializer):
    """`timesheets_locked_until` is the lock date's name; `timesheets_locked_up_to`, its
    first name, is kept for the clients that use it (the same value, either may be sent)."""

    timesheets_locked_until = PlainDateField(
        source="timesheets_locked_up_to", required=False, allow_null=True, help_text=LOCK_DATE_HELP
    )

    class Meta:
        model = AppSettings
        fields = [
            "timesheets_enabled",
            "uom_enabled",
            "timesheets_locked_until",
            "timesheets_locked_up_to",
        ]
        extra_kwargs = {
            "timesheets_locked_up_to": {"help_text": "Deprecated: `timesheets_locked_until`."}
        }

    def validate(self, attrs):
        names = ("timesheets_locked_until", "timesheets_locked_up_to")
        given = [self.initial_data[name] for name in names if name in self.initial_data]
        if len(given) == 2 and given[0] != given[1]:
            raise serializers.ValidationError(
                {"timesheets_locked_until": ["Send one lock date (timesheets_locked_until)."]}
            )
        return attrs


class CompanySerializer(ApiModelSerializer):
    """The seller on every invoice (EN 16931 BG-4); identifiers are checked by
    `Company.clean()` and stored compact. The logo is uploaded in the admin."""

    country = CountryCodeField()
    logo = serializers.ImageField(read_only=True, allow_null=True, help_text="URL of the logo.")

    class Meta:
        model = Company
        fields = [
            "name",
            "street",
            "street2",
            "zip",
            "city",
            "country",
            "vat",
            "company_registration",
            "peppol_scheme",
            "peppol_id",
            "iban",
            "bic",
            "email",
            "phone",
            "logo",
        ]
        extra_kwargs = {
            "vat": {"help_text": "With its country prefix: BE0123456749."},
            "company_registration": {"help_text": "Belgium: the enterprise number, 0123456749."},
            "peppol_scheme": {"help_text": "EAS code, e.g. 0208 (Belgian enterprise number)."},
        }


class UomSerializer(ApiModelSerializer):
    category = serializers.CharField(source="category.name", read_only=True)
    factor = serializers.DecimalField(
        max_digits=18,
        decimal_places=6,
        read_only=True,
        help_text="Reference units (Hours) in one of this unit: Days 8, Minutes 0.016667.",
    )

    class Meta:
        model = Uom
        fields = ["id", "name", "category", "factor", "rounding", "unece_code"]
        extra_kwargs = {"unece_code": {"help_text": "UN/ECE Rec. 20 code: HUR, DAY, MIN, C62."}}


class CustomerSerializer(ApiModelSerializer):
    """A buyer; its identifiers are checked by the model (`customer_identifiers`: a BE
    VAT number with a wrong check digit is refused) and stored compact."""

    country = CountryCodeField(required=False, allow_blank=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "email",
            "street",
            "street2",
            "zip",
            "city",
            "country",
            "vat",
            "company_registration",
            "peppol_scheme",
            "peppol_id",
            "invoice_email",
            "payment_terms_days",
        ]
        extra_kwargs = {
            "vat": {
                "help_text": "With its country prefix (BE0123456749); without one the "
                "customer's country's is taken."
            },
            "company_registration": {"help_text": "Belgium: the enterprise number, 0123456749."},
            "peppol_scheme": {"help_text": "EAS code, e.g. 0208 (Belgian enterprise number)."},
            "peppol_id": {"help_text": "The electronic address in that scheme."},
            "invoice_email": {"help_text": "Where invoices are sent; empty: `email`."},
        }


class ProductSerializer(ApiModelSerializer):
    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "type",
            "uom",
            "list_price",
            "tax_rate",
            "vat_category",
            "vat_exemption_reason",
            "invoice_policy",
            "service_tracking",
            "project",
            "rounding_increment",
            "rounding_mode",
            "minimum_minutes",
        ]
        extra_kwargs = {
            "tax_rate": {"help_text": "Percent, 0 to 100."},
            "rounding_increment": {
                "help_text": "Billed time is rounded to this many minutes per entry (1: none); "
                "copied to each new order line."
            },
            "rounding_mode": {"help_text": "`up`, or `nearest` (half up)."},
            "minimum_minutes": {"help_text": "An entry is billed at least this long (0: none)."},
            "vat_category": {"help_text": "S (standard, with its rate), Z, E or AE: 0%."},
            "vat_exemption_reason": {"help_text": "Needed for E (exempt)."},
        }


class ProjectSerializer(ApiModelSerializer):
    allocated_hours = read_decimal(help_text="Sum of the tasks' allocated hours.")
    logged_hours = MinutesAsHoursField(
        source="logged_minutes", help_text="Time logged on the project, in hours."
    )

    class Meta:
        model = Project
        fields = ["id", "name", "allow_timesheets", "allocated_hours", "logged_hours"]


class TeamSerializer(ApiModelSerializer):
    members = IdRelatedField(
        many=True, required=False, queryset=get_user_model().objects.all(), help_text="User ids."
    )

    class Meta:
        model = HelpdeskTeam
        fields = [
            "id",
            "name",
            "use_timesheets",
            "project",
            "members",
            "default_work_type",
            "approve_time",
        ]
        extra_kwargs = {
            "use_timesheets": {"help_text": "Timesheet on Ticket."},
            "default_work_type": {
                "help_text": "The work type of time logged on the team's tickets unless one is "
                "given; null: Support."
            },
            "approve_time": {
                "help_text": "Approve time before billing: entries start `to_approve` and are "
                "billed once a manager approved them."
            },
        }

    def validate_default_work_type(self, work_type: WorkType | None) -> WorkType | None:
        current = self.instance.default_work_type_id if self.instance else None
        if work_type is not None and not work_type.active and work_type.pk != current:
            raise serializers.ValidationError(f"{work_type} is archived.")
        return work_type


WorkTypeBillingField = named_choice_field("WorkTypeBilling", WorkType.BILLING_CHOICES)


class WorkTypeSerializer(ApiModelSerializer):
    """DOMAIN.md rule 27: `billable` entries are billed by their line's rounding rule,
    `no_charge` ones show on the invoice at 0:00, `non_billable` ones never do."""

    billing = WorkTypeBillingField(
        choices=WorkType.BILLING_CHOICES,
        required=False,
        help_text="`billable` (default), `no_charge` (on the invoice at 0:00) or "
        "`non_billable` (never on an invoice).",
    )

    class Meta:
        model = WorkType
        fields = ["id", "name", "billing", "active"]
        extra_kwargs = {
            "active": {"help_text": "An archived work type is not offered for new time."}
        }
