"""Configuration records: settings, the company, units, customers, products, projects, teams."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from api.serializers.base import (
    ApiModelSerializer,
    CountryCodeField,
    IdRelatedField,
    MinutesAsHoursField,
    read_decimal,
)
from core.models import AppSettings, Company
from helpdesk.models import HelpdeskTeam
from projects.models import Project
from sales.models import Customer, Product, Uom


class SettingsSerializer(ApiModelSerializer):
    class Meta:
        model = AppSettings
        fields = ["timesheets_enabled", "uom_enabled", "timesheets_locked_up_to"]


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
        ]
        extra_kwargs = {
            "tax_rate": {"help_text": "Percent, 0 to 100."},
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
        fields = ["id", "name", "use_timesheets", "project", "members"]
        extra_kwargs = {"use_timesheets": {"help_text": "Timesheet on Ticket."}}
