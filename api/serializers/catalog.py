"""Configuration records: settings, units, customers, products, projects, teams."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from api.serializers.base import (
    ApiModelSerializer,
    IdRelatedField,
    MinutesAsHoursField,
    read_decimal,
)
from core.models import AppSettings
from helpdesk.models import HelpdeskTeam
from projects.models import Project
from sales.models import Customer, Product, Uom


class SettingsSerializer(ApiModelSerializer):
    class Meta:
        model = AppSettings
        fields = ["timesheets_enabled", "uom_enabled", "timesheets_locked_up_to"]


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
        fields = ["id", "name", "category", "factor", "rounding"]


class CustomerSerializer(ApiModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "email",
            "street",
            "city",
            "zip",
            "country",
            "vat",
            "payment_terms_days",
        ]


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
            "invoice_policy",
            "service_tracking",
            "project",
        ]
        extra_kwargs = {"tax_rate": {"help_text": "Percent, 0 to 100."}}


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
