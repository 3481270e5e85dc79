"""Settings, the company, units, customers, products, projects, teams and work types.

These configuration rows have no business service beyond their model's
`clean()`, except projects (`projects.services.project_create`).
"""

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import generics

from api import selectors
from api.filters import BoolFilter, ChoiceFilter, IdFilter, choice_values
from api.serializers.catalog import (
    CompanySerializer,
    CustomerSerializer,
    ProductSerializer,
    ProjectSerializer,
    SettingsSerializer,
    TeamSerializer,
    UomSerializer,
    WorkTypeSerializer,
)
from api.views.base import ApiReadOnlyViewSet, ApiViewMixin, ApiViewSet, save_record
from core import roles
from core.models import AppSettings, Company
from helpdesk.models import HelpdeskTeam
from projects.services import project_create
from sales.models import Customer, Product, RoundingMode, Uom, WorkType


@extend_schema(tags=["configuration"])
class SettingsView(ApiViewMixin, generics.RetrieveUpdateAPIView):
    """The feature switches; everyone reads them, admins change them."""

    serializer_class = SettingsSerializer
    read_role = staticmethod(roles.is_helpdesk_user)
    write_role = staticmethod(roles.is_admin)
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return AppSettings.load()

    def perform_update(self, serializer):
        serializer.instance = save_record(serializer.instance, dict(serializer.validated_data))


@extend_schema(tags=["configuration"])
class CompanyView(ApiViewMixin, generics.RetrieveUpdateAPIView):
    """The seller on every invoice; everyone reads it, admins change it. Invoices
    already posted keep the seller they were posted with."""

    serializer_class = CompanySerializer
    read_role = staticmethod(roles.is_helpdesk_user)
    write_role = staticmethod(roles.is_admin)
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return Company.load()

    def perform_update(self, serializer):
        serializer.instance = save_record(serializer.instance, dict(serializer.validated_data))


@extend_schema(tags=["configuration"])
class UomViewSet(ApiReadOnlyViewSet):
    queryset = Uom.objects.select_related("category")
    serializer_class = UomSerializer
    read_role = staticmethod(roles.is_helpdesk_user)


class ConfigViewSet(ApiViewSet):
    """A configuration row saved through its model's validation."""

    many_to_many: tuple[str, ...] = ()

    def create_record(self, data):
        return save_record(self.queryset.model(), data, many_to_many=self.many_to_many)

    def update_record(self, instance, data):
        return save_record(instance, data, many_to_many=self.many_to_many)

    def delete_record(self, instance):
        instance.delete()  # PROTECT on anything that uses it -> 409


@extend_schema(tags=["sales"])
class CustomerViewSet(ConfigViewSet):
    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    read_role = staticmethod(roles.is_helpdesk_user)
    write_role = staticmethod(roles.is_manager)


@extend_schema(tags=["sales"])
class ProductViewSet(ConfigViewSet):
    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    read_role = staticmethod(roles.is_helpdesk_user)
    write_role = staticmethod(roles.is_manager)
    query_filters = [
        ChoiceFilter("type", choices=choice_values(Product.TYPE_CHOICES)),
        ChoiceFilter("invoice_policy", choices=choice_values(Product.POLICY_CHOICES)),
        ChoiceFilter("rounding_mode", choices=tuple(RoundingMode.values)),
        IdFilter("project"),
    ]


@extend_schema(tags=["configuration"])
class WorkTypeViewSet(ConfigViewSet):
    """Work types (DOMAIN.md rule 27); everyone reads them, admins change them. One in
    use is archived (`active: false`), never deleted: entries and rate lines keep it."""

    queryset = WorkType.objects.all()
    serializer_class = WorkTypeSerializer
    read_role = staticmethod(roles.is_helpdesk_user)
    write_role = staticmethod(roles.is_admin)
    http_method_names = ["get", "post", "patch", "head", "options"]
    query_filters = [
        ChoiceFilter("billing", choices=choice_values(WorkType.BILLING_CHOICES)),
        BoolFilter("active", when_true=Q(active=True)),
    ]


@extend_schema(tags=["projects"])
class ProjectViewSet(ConfigViewSet):
    serializer_class = ProjectSerializer
    read_role = staticmethod(roles.is_helpdesk_user)
    write_role = staticmethod(roles.is_admin)

    def get_queryset(self):
        return selectors.projects_qs()

    def create_record(self, data):
        return project_create(
            name=data["name"], allow_timesheets=data.get("allow_timesheets", True)
        )


@extend_schema(tags=["helpdesk"])
class TeamViewSet(ConfigViewSet):
    queryset = HelpdeskTeam.objects.all()
    serializer_class = TeamSerializer
    read_role = staticmethod(roles.is_helpdesk_user)
    write_role = staticmethod(roles.is_admin)
    many_to_many = ("members",)
    query_filters = [
        IdFilter("project"),
        IdFilter("default_work_type"),
        BoolFilter("approve_time", when_true=Q(approve_time=True)),
    ]

    def get_queryset(self):
        return selectors.teams_qs()
