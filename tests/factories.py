"""factory_boy factories for the plain master data of the whole suite (users, customers,
products, projects, teams).

Model factories write rows directly; anything a service creates or checks (orders and
their tasks, tickets on a task, timesheet entries, invoices) is built by tests/builders.py
through that service, so the rollup runs and no rule is skipped.
"""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core import roles
from helpdesk.models import HelpdeskTeam, Ticket
from projects.models import Project, Task
from sales.models import Customer, Product, SaleOrder, SaleOrderLine, Uom


def uom(name: str) -> Uom:
    """Hours, Days, Minutes and Units come from a data migration."""
    return Uom.objects.get(name=name)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass")

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        """`UserFactory(role="Manager")` puts the user in that group."""
        _join(obj, create, extracted)


def _join(user, create: bool, group_name: str | None) -> None:
    if create and group_name:
        user.groups.add(Group.objects.get(name=group_name))
    if create:
        user.save()


class StaffUserFactory(UserFactory):
    """A Helpdesk User."""

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        _join(obj, create, extracted or roles.HELPDESK_USER)


class ManagerFactory(UserFactory):
    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        _join(obj, create, extracted or roles.MANAGER)


class AdminFactory(UserFactory):
    is_staff = True
    is_superuser = True


def belgian_vat(n: int) -> str:
    """A valid Belgian VAT number (the check digits are 97 - the first 8 digits mod 97)."""
    base = f"0{n % 10_000_000:07d}"
    return f"BE{base}{97 - int(base) % 97:02d}"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.LazyAttribute(lambda c: f"billing{c.name.split()[-1]}@customer.example")
    street = "12 Client Road"
    city = "Ghent"
    zip = "9000"
    country = "BE"
    vat = factory.Sequence(lambda n: belgian_vat(n))
    payment_terms_days = 30


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Helpdesk project {n}")
    allow_timesheets = True


class ProductFactory(factory.django.DjangoModelFactory):
    """The seed's recommended set-up: Delivered quantities, task in the helpdesk project, Hours."""

    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Support hours {n}")
    type = Product.SERVICE
    uom = factory.LazyFunction(lambda: uom("Hours"))
    list_price = Decimal("100.00")
    tax_rate = Decimal("21.00")
    invoice_policy = Product.POLICY_DELIVERY
    service_tracking = Product.TRACKING_TASK_IN_PROJECT
    project = factory.SubFactory(ProjectFactory)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HelpdeskTeam

    name = factory.Sequence(lambda n: f"Support team {n}")
    use_timesheets = True
    project = factory.SubFactory(ProjectFactory)


class SaleOrderFactory(factory.django.DjangoModelFactory):
    """A quotation (draft); confirm it with sales.services.order_confirm."""

    class Meta:
        model = SaleOrder

    name = factory.Sequence(lambda n: f"TST{n:05d}")
    customer = factory.SubFactory(CustomerFactory)
    date_order = factory.LazyFunction(datetime.date.today)


class SaleOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SaleOrderLine

    order = factory.SubFactory(SaleOrderFactory)
    product = factory.SubFactory(ProductFactory)
    description = factory.LazyAttribute(lambda line: line.product.name)
    quantity = Decimal("10")
    uom = factory.LazyAttribute(lambda line: line.product.uom)
    price_unit = factory.LazyAttribute(lambda line: line.product.list_price)
    tax_rate = factory.LazyAttribute(lambda line: line.product.tax_rate)
    invoice_policy = factory.LazyAttribute(lambda line: line.product.invoice_policy)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Task {n}")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    team = factory.SubFactory(TeamFactory)
    customer = factory.SubFactory(CustomerFactory)
    subject = factory.Sequence(lambda n: f"Printer {n} is on fire")
    description = "It smokes."
