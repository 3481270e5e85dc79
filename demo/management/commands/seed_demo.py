"""Load the demo data of "Get started": run it as often as you like, it adds no duplicate.

Every row is found by its natural key (a username, a name, a ticket subject) before
it is created, and orders, tickets and timesheets are made through the services, so
tasks and delivered quantities are exactly what the application would produce.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core import roles
from core.models import AppSettings, Company
from helpdesk.models import HelpdeskTeam, Ticket
from helpdesk.services import ticket_create
from projects.models import Project
from projects.services import project_create
from sales.models import Customer, Product, SaleOrder, Uom
from sales.services import order_confirm, order_create
from timesheets.services import timesheet_log

# username, password, group (None: superuser), first name, last name
DEMO_USERS = [
    ("admin", "admin", None, "Ada", "Admin"),
    ("manager", "manager", roles.MANAGER, "Morgan", "Manager"),
    ("staff", "staff", roles.HELPDESK_USER, "Sam", "Support"),
]

# Structured buyers (EN 16931 BG-7) with identifiers python-stdnum accepts: a Belgian
# VAT number's last two digits are 97 minus the first eight modulo 97, and its ten digits
# are the enterprise number, the Peppol address of scheme 0208. The Dutch business makes
# rule 43 visible: a service sold to it from Belgium is reverse charged (AE, 0%).
DEMO_CUSTOMERS = [
    {
        "name": "Acme Corporation",
        "email": "accounts@acme.example",
        "invoice_email": "invoices@acme.example",
        "street": "Rue de la Loi 42",
        "street2": "Floor 3",
        "zip": "1040",
        "city": "Brussels",
        "country": "BE",
        "vat": "BE0987654394",
        "company_registration": "0987654394",
        "peppol_scheme": "0208",
        "peppol_id": "0987654394",
        "payment_terms_days": 30,
    },
    {
        "name": "Globex Ltd",
        "email": "finance@globex.example",
        "invoice_email": "ap@globex.example",
        "street": "Havenlaan 7",
        "zip": "2000",
        "city": "Antwerp",
        "country": "BE",
        "vat": "BE0555444368",
        "company_registration": "0555444368",
        "peppol_scheme": "0208",
        "peppol_id": "0555444368",
        "payment_terms_days": 15,
    },
    {
        "name": "Initech B.V.",
        "email": "admin@initech.example",
        "invoice_email": "facturen@initech.example",
        "street": "Keizersgracht 100",
        "zip": "1015 CV",
        "city": "Amsterdam",
        "country": "NL",
        "vat": "NL000099998B57",
        "peppol_scheme": "9944",  # Dutch VAT number as electronic address
        "peppol_id": "NL000099998B57",
        "payment_terms_days": 30,
    },
]

ORDER_NOTE = "Demo: monthly support for Acme Corporation"
PREPAID_NOTE = "Demo: prepaid support pack for Globex Ltd"
REVERSE_CHARGE_NOTE = "Demo: prepaid support pack for Initech B.V. (reverse charge)"

# subject, description, entries as (days ago, minutes, description)
DEMO_TICKETS = [
    (
        "VPN drops every hour",
        "Since Monday the VPN disconnects about once an hour.",
        [(3, 90, "Checked the VPN logs"), (2, 45, "Replaced the client profile")],
    ),
    (
        "New laptop for the accountant",
        "Set up a laptop with the accounting software.",
        [(1, 120, "Installed and configured the laptop")],
    ),
]


def _find_or_create(model, *, name: str, **values):
    """The row of that name, or a new, validated one (an existing row is left as it is)."""
    row = model.objects.filter(name=name).first()
    if row is None:
        row = model(name=name, **values)
        row.full_clean()
        row.save()
    return row


class Command(BaseCommand):
    help = "Load idempotent demo data (settings, units, team, products, customers, users)."

    @transaction.atomic
    def handle(self, *args, **options):
        settings_row = AppSettings.load()
        settings_row.timesheets_enabled = True
        settings_row.uom_enabled = True
        settings_row.save()
        self._check_company()

        users = {
            name: self._user(name, pw, group, first, last)
            for name, pw, group, first, last in DEMO_USERS
        }
        project = Project.objects.filter(name="Helpdesk").first() or project_create(
            name="Helpdesk", allow_timesheets=True
        )
        team = self._team(project, members=[users["staff"], users["manager"]])
        products = self._products(project)
        customers = [_find_or_create(Customer, **data) for data in DEMO_CUSTOMERS]

        order = self._order(
            customer=customers[0],
            product=products["Support hours"],
            quantity=Decimal("20"),
            note=ORDER_NOTE,
            reference="PO-ACME-2026-014",
            actor=users["admin"],
        )
        task = order.lines.get().tasks.get()
        self._order(
            customer=customers[1],
            product=products["Support pack 10h"],
            quantity=Decimal("10"),
            note=PREPAID_NOTE,
            reference="GLX-4471",
            actor=users["admin"],
        )
        self._order(
            customer=customers[2],
            product=products["Support pack 10h"],
            quantity=Decimal("10"),
            note=REVERSE_CHARGE_NOTE,
            reference="INI-PO-88213",
            actor=users["admin"],
        )
        for subject, description, entries in DEMO_TICKETS:
            self._ticket(team, customers[0], task, subject, description, entries, users["staff"])

        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write("Log in with (demo only, change them for anything real):")
        for username, password, group, _, _ in DEMO_USERS:
            role = group or "admin (superuser, Django admin at /admin/)"
            self.stdout.write(f"  {username:<8} / {password:<8} {role}")

    def _check_company(self) -> None:
        """The seller comes from the `COMPANY_*` settings on first start: say so when they
        would make invoices with wrong identifiers (the demo goes on all the same)."""
        company = Company.load()
        try:
            company.full_clean()
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.stderr.write(f"Company {field}: {' '.join(messages)}")
            self.stderr.write("Fix them in Configuration > Company (or the COMPANY_* settings).")

    def _user(self, username, password, group, first_name, last_name):
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{username}@billable.example",
                "is_staff": group is None,
                "is_superuser": group is None,
            },
        )
        if created:
            user.set_password(password)
            user.save()
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    def _team(self, project, *, members):
        team, _ = HelpdeskTeam.objects.get_or_create(
            name="Customer Care", defaults={"use_timesheets": True, "project": project}
        )
        team.members.add(*members)
        return team

    def _products(self, project):
        hours = Uom.objects.get(name="Hours")
        days = Uom.objects.get(name="Days")
        specs = [
            ("Support hours", "SUP-H", hours, "90.00", Product.POLICY_DELIVERY),
            ("Support pack 10h", "SUP-PACK10", hours, "90.00", Product.POLICY_ORDER),
            ("Support days", "SUP-D", days, "720.00", Product.POLICY_DELIVERY),
        ]
        return {
            name: _find_or_create(
                Product,
                name=name,
                default_code=code,
                type=Product.SERVICE,
                uom=uom,
                list_price=Decimal(price),
                tax_rate=Decimal("21.00"),
                invoice_policy=policy,
                service_tracking=Product.TRACKING_TASK_IN_PROJECT,
                project=project,
            )
            for name, code, uom, price, policy in specs
        }

    def _order(self, *, customer, product, quantity, note, reference, actor):
        order = SaleOrder.objects.filter(customer=customer, note=note).first()
        if order is None:
            order = order_create(
                customer=customer,
                lines=[{"product": product, "quantity": quantity}],
                note=note,
                customer_reference=reference,
                actor=actor,
            )
            order = order_confirm(order=order, actor=actor)
        return order

    def _ticket(self, team, customer, task, subject, description, entries, employee):
        if Ticket.objects.filter(team=team, customer=customer, subject=subject).exists():
            return
        ticket = ticket_create(
            team=team,
            customer=customer,
            subject=subject,
            description=description,
            stage=Ticket.IN_PROGRESS,
            assignee=employee,
            task=task,
        )
        today = timezone.localdate()
        for days_ago, minutes, text in entries:
            timesheet_log(
                employee=employee,
                date=today - datetime.timedelta(days=days_ago),
                minutes=minutes,
                description=text,
                ticket=ticket,
            )
