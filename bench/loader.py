"""A deterministic bulk loader: a busy support company at a fixed seed (issue 7).

Every row is generated in Python with a fixed primary key (the table's highest id + 1
onwards) and written with PostgreSQL `COPY` (psycopg 3 `cursor.copy`) or, on other
databases, `bulk_create` in batches. Nothing goes through the services: the loader
writes what the services would have written, by the domain rules, and then proves it
with the services' own check (`recompute_all_delivered(fix=False)` finds no difference).

The shape, per scale (see `SCALES`):
- customers, staff (the first one, `bench.manager`, is a Manager), helpdesk teams with
  Timesheet on Ticket, each with its project and four products (prepaid / delivered,
  Hours / Days), so half of the lines are prepaid and about a fifth are sold in Days;
- rounding rules (DOMAIN.md rule 29) on half the lines: the delivered products round
  up to 15 minutes with a minimum of 30 and their lines copy that rule, except every
  eighth delivered line, which rounds to the nearest 15 (still a minimum of 30);
  prepaid products and lines have none;
- confirmed orders (`SO00001`...), a task per line in the team's project;
- tickets linked to a task of their customer's order (one in ten has no task, so its
  time is non-billable), entries on the ticket's task, at most 24 h per person per day;
- every entry of the work type "Support" (Billable, `WorkType.default()`), except about
  one in fifty of "Goodwill" (No charge), picked by a second generator seeded from the
  seed (so the rest of the data is what it was before work types); its billed minutes
  are what rules 28-29 give (its line's rounding rule, 0 without a line or on No
  charge), as the timesheet services would have stored them; none is non-billable or
  waiting for approval;
- one posted invoice per order (`INV/<year>/<n>`, gapless per year, numbers in date
  order, hash-chained like `invoice_validate` does): prepaid lines in full, delivered
  lines for the billed minutes of their entries up to the order's cut-off date, those
  entries linked (a line whose entries bill 0:00 in all gets no invoice line and its
  entries stay unbilled, as the billing run leaves them).

Fixtures the figures need are found again by name (`find_fixtures`): the order with 20
lines (`SO00001`) whose second line is the "hot" line (B1: ~20,000 entries at full
scale) and third the "cold" line (10 entries), a ticket with 50 entries (B2) and an
order whose delivered line has 500 unbilled entries (B6, `SO00002`).

After the rows, the rollup figures are recomputed once, set-based: one
`UPDATE ... FROM (SELECT sale_line_id, SUM(billed_minutes) ... GROUP BY ...)` for the
delivered minutes (rule 28: Delivered sums billed minutes; tasks' logged minutes sum the
worked ones), one integer-arithmetic UPDATE per unit for the delivered quantity (minutes
summed first, converted once, rounded half-up at the unit's precision) and one
`UPDATE ... FROM` for the invoiced quantity (DOMAIN.md rules 14, 15).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Max, Sum

from core import roles
from core.models import AppSettings, Sequence
from core.numbers import format_minutes
from helpdesk.models import HelpdeskTeam, Ticket
from invoicing.documents import seller_snapshot
from invoicing.models import Invoice, InvoiceLine, Payment
from invoicing.services.common import line_amounts
from invoicing.services.integrity import invoices_verify
from invoicing.services.posting import invoice_content_hash
from projects.models import Project, Task
from sales.models import (
    Customer,
    Product,
    RoundingMode,
    SaleOrder,
    SaleOrderLine,
    Uom,
    WorkType,
    rounded_minutes,
)
from timesheets.models import MAX_MINUTES_PER_DAY, TimesheetEntry
from timesheets.services import recompute_all_delivered

User = get_user_model()

SEED = 7
END = dt.date(2026, 11, 27)  # the data's "today" (a Friday): fixed, so loads are identical
UTC = dt.UTC

MANAGER_USERNAME = "bench.manager"
USERNAME_PREFIX = "bench."
SHOWCASE_ORDER = "SO00001"  # 20 lines; line 2 is hot (B1), line 3 cold (B1), line 4 has B2's ticket
PDF_ORDER = "SO00002"  # its delivered line has the unbilled entries of B6's invoice
SHOWCASE_LINES = 20
COLD_ENTRIES = 10
FORM_ENTRIES = 50
SUBJECT_HOT = "[bench] hot line"
SUBJECT_COLD = "[bench] cold line"
SUBJECT_FORM = "[bench] ticket form with 50 entries"
SUBJECT_PDF = "[bench] invoice PDF entries"
SPECIAL_SUBJECTS = (SUBJECT_HOT, SUBJECT_COLD, SUBJECT_FORM, SUBJECT_PDF)

MINUTES = (5, 10, 10, 15, 15, 15, 20, 20, 30, 30, 45, 60)
ENTRY_WINDOW_DAYS = 45  # a regular ticket's entries fall within this many days of it
TICKET_WINDOW_DAYS = 365  # a ticket is opened within a year of its order
BATCH = 5000


@dataclass(frozen=True)
class Scale:
    name: str
    customers: int
    staff: int
    teams: int
    orders: int
    lines: int
    tickets: int
    entries: int
    invoices: int
    hot_entries: int
    pdf_entries: int
    years: int = 3

    def __post_init__(self) -> None:
        problems = []
        if self.invoices != self.orders:
            problems.append("one posted invoice per order: invoices must equal orders")
        if self.orders < 3 or self.customers < 2 or self.teams < 1:
            problems.append("at least 3 orders, 2 customers and 1 team")
        if self.staff < self.teams:
            problems.append("at least one staff member per team")
        if self.lines < SHOWCASE_LINES + 2 + (self.orders - 2):
            problems.append(f"at least {SHOWCASE_LINES + self.orders} lines")
        if self.tickets < 5:
            problems.append("at least 5 tickets")
        if self.entries < self.special_entries:
            problems.append(f"at least {self.special_entries} entries")
        if problems:
            raise ValueError(f"Scale {self.name}: " + "; ".join(problems))

    @property
    def special_entries(self) -> int:
        return self.hot_entries + COLD_ENTRIES + FORM_ENTRIES + self.pdf_entries


SCALES = {
    "full": Scale(
        name="full",
        customers=200,
        staff=40,
        teams=5,
        orders=20_000,
        lines=40_000,
        tickets=100_000,
        entries=1_000_000,
        invoices=20_000,
        hot_entries=20_000,
        pdf_entries=500,
    ),
    # About 1/1000 of full; a few more lines so that most small orders have a delivered line.
    "small": Scale(
        name="small",
        customers=6,
        staff=6,
        teams=2,
        orders=20,
        lines=56,
        tickets=100,
        entries=1_000,
        invoices=20,
        hot_entries=20,
        pdf_entries=50,
    ),
}


class LoadError(Exception):
    """The database cannot take the load (not empty, missing units...)."""


@dataclass
class LoadReport:
    scale: str
    seed: int
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    delivered_differences: int = 0
    invoice_integrity_problems: int | None = None

    def as_dict(self) -> dict:
        return {
            "scale": self.scale,
            "seed": self.seed,
            "seconds": round(self.seconds, 2),
            "phases": {k: round(v, 2) for k, v in self.phases.items()},
            "counts": self.counts,
            "delivered_differences": self.delivered_differences,
            "invoice_integrity_problems": self.invoice_integrity_problems,
        }


# --- writing rows ----------------------------------------------------------------------


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


LOAD_TIMESTAMP = dt.datetime.combine(END, dt.time(18, 0), tzinfo=UTC)


def _default(model_field: models.Field):
    if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
        return LOAD_TIMESTAMP
    return model_field.get_default()


def write_rows(model: type[models.Model], names: list[str], rows: Iterable[tuple]) -> int:
    """Insert `rows` (tuples of the attributes `names`, primary key included).

    The other concrete fields take their default. PostgreSQL: one COPY; elsewhere:
    `bulk_create` in batches (which sets auto_now timestamps to now).
    """
    if _is_postgres():
        return _copy_rows(model, names, rows)
    count = 0
    batch: list[models.Model] = []
    for row in rows:
        batch.append(model(**dict(zip(names, row, strict=True))))
        if len(batch) >= BATCH:
            model.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)
        count += len(batch)
    return count


def _copy_rows(model: type[models.Model], names: list[str], rows: Iterable[tuple]) -> int:
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    unknown = set(names) - set(by_attname)
    if unknown:
        raise LoadError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    rest = [f for f in model._meta.concrete_fields if f.attname not in names]
    columns = [by_attname[name].column for name in names] + [f.column for f in rest]
    json_positions = [
        i for i, name in enumerate(names) if isinstance(by_attname[name], models.JSONField)
    ]
    tail = tuple(
        json.dumps(_default(f), cls=DjangoJSONEncoder)
        if isinstance(f, models.JSONField)
        else _default(f)
        for f in rest
    )
    quote = connection.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN".format(
        quote(model._meta.db_table), ", ".join(quote(c) for c in columns)
    )
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            if json_positions:
                row = list(row)
                for i in json_positions:
                    row[i] = json.dumps(row[i], cls=DjangoJSONEncoder)
                row = tuple(row)
            copy.write_row(row + tail)
            count += 1
    return count


# --- the data --------------------------------------------------------------------------

FIRST_NAMES = [
    "Alex",
    "Sam",
    "Robin",
    "Charlie",
    "Jamie",
    "Morgan",
    "Taylor",
    "Jordan",
    "Casey",
    "Riley",
    "Avery",
    "Quinn",
    "Emery",
    "Rowan",
    "Skyler",
    "Dana",
    "Kendall",
    "Reese",
    "Hayden",
    "Parker",
]
LAST_NAMES = [
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De",
    "Smet",
    "Dubois",
    "Lambert",
    "Martin",
    "Simon",
    "Laurent",
    "Leroy",
    "Dupont",
    "Renard",
    "Lemaire",
    "Hermans",
]
COMPANY_WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Oceanic",
    "Gringotts",
    "Monarch",
    "Pied",
    "Piper",
    "Massive",
    "Dynamic",
    "Aperture",
    "Black",
    "Mesa",
]
COMPANY_KINDS = ("Ltd", "NV", "BV", "SA", "Group", "Partners", "Logistics", "Systems")
CITIES = (("Brussels", "1000"), ("Antwerp", "2000"), ("Ghent", "9000"), ("Leuven", "3000"))
TEAM_NAMES = ("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel")
SUBJECTS = (
    "Printer offline",
    "VPN drops every hour",
    "Mailbox full",
    "Invoice export fails",
    "Laptop will not boot",
    "New starter account",
    "Backup job failed",
    "Slow ERP screens",
    "Password reset loop",
    "Wi-Fi dead zone in the warehouse",
)
WORK = (
    "Investigation",
    "Call with the customer",
    "Remote session",
    "Fix and test",
    "Follow-up",
    "Documentation",
)
PRODUCTS = (
    # (name, policy, unit, price)
    ("Prepaid support hours", Product.POLICY_ORDER, "Hours", Decimal("90.00")),
    ("Support hours", Product.POLICY_DELIVERY, "Hours", Decimal("95.00")),
    ("Prepaid consulting days", Product.POLICY_ORDER, "Days", Decimal("680.00")),
    ("Consulting days", Product.POLICY_DELIVERY, "Days", Decimal("720.00")),
)
QUANTITIES = {
    (Product.POLICY_ORDER, "Hours"): (10, 20, 40, 80),
    (Product.POLICY_ORDER, "Days"): (2, 5, 10, 20),
    (Product.POLICY_DELIVERY, "Hours"): (10, 20, 40),
    (Product.POLICY_DELIVERY, "Days"): (2, 5, 10),
}
TAX_RATE = Decimal("21.00")
CENT = Decimal("0.01")
# Rule 29's rounding rule (increment, mode, minimum), as SaleOrderLine.ROUNDING_FIELDS.
NO_ROUNDING = (1, RoundingMode.UP.value, 0)
ROUNDING_UP = (15, RoundingMode.UP.value, 30)  # the delivered products, copied to their lines
ROUNDING_NEAREST = (15, RoundingMode.NEAREST.value, 30)  # every NEAREST_EVERY-th delivered
NEAREST_EVERY = 8
NO_CHARGE_WORK_TYPE = "Goodwill"
NO_CHARGE_SHARE = 0.02  # of the entries, on the No charge work type


def belgian_vat(n: int) -> str:
    """A Belgian VAT number python-stdnum accepts: 0 + seven digits of `n`, then the check
    digits 97 - (those eight digits mod 97)."""
    base = f"0{n % 10_000_000:07d}"
    return f"BE{base}{97 - int(base) % 97:02d}"


def _midday(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9, 0), tzinfo=UTC)


class _Company:
    """Generates the rows. Lists are indexed by position; ids are `base + position`."""

    def __init__(self, scale: Scale, seed: int, end: dt.date):
        self.scale = scale
        self.rng = random.Random(seed)
        # The work types are drawn from their own generator: the rest of the data (every
        # entry's day, person and minutes) is what the loader made before work types.
        self.work_type_rng = random.Random(f"{seed}-work-types")
        self.end = end
        self.start = end - dt.timedelta(days=365 * scale.years)
        try:
            self.uoms = {name: Uom.objects.get(name=name) for name in ("Hours", "Days")}
        except Uom.DoesNotExist:
            raise LoadError("Units Hours and Days are missing: run migrate first.") from None
        self.support = WorkType.default()
        self.no_charge, _ = WorkType.objects.get_or_create(
            name=NO_CHARGE_WORK_TYPE, defaults={"billing": WorkType.NO_CHARGE}
        )
        if self.no_charge.billing != WorkType.NO_CHARGE or self.support.billing != (
            WorkType.BILLABLE
        ):
            raise LoadError(
                f'The work types "{WorkType.DEFAULT_NAME}" (Billable) and '
                f'"{NO_CHARGE_WORK_TYPE}" (No charge) are configured otherwise.'
            )
        self.base = {
            model: _next_id(model)
            for model in (
                User,
                Customer,
                Project,
                HelpdeskTeam,
                Product,
                SaleOrder,
                SaleOrderLine,
                Task,
                Ticket,
                TimesheetEntry,
                Invoice,
                InvoiceLine,
            )
        }
        self.day_used: dict[tuple[int, int], int] = defaultdict(int)
        self.dates: dict[int, dt.date] = {}

    def ident(self, model: type[models.Model], position: int) -> int:
        return self.base[model] + position

    def date(self, ordinal: int) -> dt.date:
        day = self.dates.get(ordinal)
        if day is None:
            day = self.dates[ordinal] = dt.date.fromordinal(ordinal)
        return day

    # -- people and set-up

    def build_people(self) -> None:
        s = self.scale
        rng = self.rng
        self.customers = []
        for i in range(s.customers):
            city, zip_code = CITIES[i % len(CITIES)]
            word = COMPANY_WORDS[i % len(COMPANY_WORDS)]
            kind = COMPANY_KINDS[(i // len(COMPANY_WORDS)) % len(COMPANY_KINDS)]
            self.customers.append(
                {
                    "id": self.ident(Customer, i),
                    "name": f"{word} {kind} {i + 1:03d}",
                    "email": f"billing{i + 1}@customer.example",
                    "street": f"{i + 1} Client Road",
                    "city": city,
                    "zip": zip_code,
                    "country": "BE",
                    "vat": belgian_vat(1_000_000 + i),
                    "payment_terms_days": rng.choice((15, 30, 30, 45, 60)),
                }
            )
        self.staff = []
        for i in range(s.staff):
            first = FIRST_NAMES[i % len(FIRST_NAMES)]
            last = LAST_NAMES[(i * 7) % len(LAST_NAMES)]
            username = MANAGER_USERNAME if i == 0 else f"{USERNAME_PREFIX}staff{i + 1:02d}"
            self.staff.append(
                {
                    "id": self.ident(User, i),
                    "username": username,
                    "first_name": first,
                    "last_name": last,
                    "full_name": f"{first} {last}",
                }
            )
        self.manager_id = self.staff[0]["id"]
        self.teams = []
        for t in range(s.teams):
            name = TEAM_NAMES[t % len(TEAM_NAMES)] + ("" if t < len(TEAM_NAMES) else f" {t}")
            members = [p["id"] for i, p in enumerate(self.staff) if i % s.teams == t]
            self.teams.append(
                {
                    "id": self.ident(HelpdeskTeam, t),
                    "name": f"Support {name}",
                    "project_id": self.ident(Project, t),
                    "members": members,
                }
            )
        self.products = []  # index: team * 4 + kind
        for t, team in enumerate(self.teams):
            for k, (name, policy, unit, price) in enumerate(PRODUCTS):
                self.products.append(
                    {
                        "id": self.ident(Product, t * len(PRODUCTS) + k),
                        "name": f"{name} ({team['name']})",
                        "policy": policy,
                        "unit": unit,
                        "price": price,
                        "project_id": team["project_id"],
                        "rounding": (
                            ROUNDING_UP if policy == Product.POLICY_DELIVERY else NO_ROUNDING
                        ),
                    }
                )

    def write_people(self) -> None:
        password = make_password("bench")
        joined = _midday(self.start)
        write_rows(
            User,
            ["id", "username", "first_name", "last_name", "email", "password", "date_joined"],
            (
                (
                    p["id"],
                    p["username"],
                    p["first_name"],
                    p["last_name"],
                    f"{p['username']}@billable.example",
                    password,
                    joined,
                )
                for p in self.staff
            ),
        )
        helpdesk_group = Group.objects.get(name=roles.HELPDESK_USER)
        manager_group = Group.objects.get(name=roles.MANAGER)
        memberships = [(p["id"], helpdesk_group.pk) for p in self.staff]
        memberships.append((self.manager_id, manager_group.pk))
        through = User.groups.through
        start = _next_id(through)
        write_rows(
            through,
            ["id", "user_id", "group_id"],
            ((start + i, user, group) for i, (user, group) in enumerate(memberships)),
        )
        write_rows(
            Customer,
            list(self.customers[0]),
            (tuple(c.values()) for c in self.customers),
        )
        write_rows(
            Project,
            ["id", "name", "allow_timesheets", "manager_id", "active"],
            (
                (team["project_id"], f"Helpdesk - {team['name']}", True, self.manager_id, True)
                for team in self.teams
            ),
        )
        write_rows(
            HelpdeskTeam,
            ["id", "name", "use_timesheets", "project_id"],
            ((t["id"], t["name"], True, t["project_id"]) for t in self.teams),
        )
        members = HelpdeskTeam.members.through
        start = _next_id(members)
        pairs = [(t["id"], user) for t in self.teams for user in t["members"]]
        write_rows(
            members,
            ["id", "helpdeskteam_id", "user_id"],
            ((start + i, team, user) for i, (team, user) in enumerate(pairs)),
        )
        write_rows(
            Product,
            [
                "id",
                "name",
                "type",
                "uom_id",
                "list_price",
                "tax_rate",
                "invoice_policy",
                "service_tracking",
                "project_id",
                "active",
                *Product.ROUNDING_FIELDS,
            ],
            (
                (
                    p["id"],
                    p["name"],
                    Product.SERVICE,
                    self.uoms[p["unit"]].pk,
                    p["price"],
                    TAX_RATE,
                    p["policy"],
                    Product.TRACKING_TASK_IN_PROJECT,
                    p["project_id"],
                    True,
                    *p["rounding"],
                )
                for p in self.products
            ),
        )

    # -- orders, lines, tasks

    def _product(self, team: int, prepaid: bool, days: bool) -> int:
        return team * len(PRODUCTS) + (0 if prepaid else 1) + (2 if days else 0)

    def build_orders(self) -> None:
        s, rng, end = self.scale, self.rng, self.end
        regular = s.orders - 2
        base, extra = divmod(s.lines - SHOWCASE_LINES - 2, regular)
        last_order_day = (end - dt.timedelta(days=90)).toordinal()
        self.orders = []  # dicts: customer, team, day, cutoff, lines (positions)
        self.lines = []  # dicts: order, product, quantity, rounding
        delivered = 0
        for i in range(s.orders):
            if i == 0:
                customer, team = 0, 0
                day = self.start.toordinal() + 10
                cutoff = end.toordinal() - 60
                # prepaid, hot, cold, ticket form, then a mix
                specs = [(True, False), (False, False), (False, False), (False, False)]
                specs += [(j % 2 == 0, j % 5 == 0) for j in range(4, SHOWCASE_LINES)]
            elif i == 1:
                customer, team = 1, 0
                day = end.toordinal() - 200
                cutoff = day  # nothing of its delivered line is invoiced yet
                specs = [(True, False), (False, False)]
            else:
                customer = rng.randrange(s.customers)
                team = rng.randrange(s.teams)
                day = rng.randint(self.start.toordinal(), last_order_day)
                cutoff = max(day, end.toordinal() - rng.randint(30, 150))
                count = base + (1 if i - 2 < extra else 0)
                specs = [(j % 2 == 0, rng.random() < 0.2) for j in range(count)]
            positions = []
            for prepaid, days in specs:
                product = self._product(team, prepaid, days)
                p = self.products[product]
                # Two places, as the column gives it back (the invoice hash reads str(qty)).
                quantity = Decimal(rng.choice(QUANTITIES[(p["policy"], p["unit"])])).quantize(CENT)
                # The line copies its product's rounding rule; a few were changed since.
                rounding = p["rounding"]
                if p["policy"] == Product.POLICY_DELIVERY:
                    if delivered % NEAREST_EVERY == NEAREST_EVERY - 1:
                        rounding = ROUNDING_NEAREST
                    delivered += 1
                positions.append(len(self.lines))
                self.lines.append(
                    {"order": i, "product": product, "quantity": quantity, "rounding": rounding}
                )
            self.orders.append(
                {
                    "customer": customer,
                    "team": team,
                    "day": day,
                    "cutoff": cutoff,
                    "lines": positions,
                    "name": f"SO{i + 1:05d}",
                }
            )
        showcase = self.orders[0]["lines"]
        self.hot_line, self.cold_line, self.form_line = showcase[1], showcase[2], showcase[3]
        self.pdf_line = self.orders[1]["lines"][1]

    def write_orders(self) -> None:
        write_rows(
            SaleOrder,
            [
                "id",
                "name",
                "customer_id",
                "state",
                "date_order",
                "confirmed_at",
                "created_by_id",
                "created_at",
            ],
            (
                (
                    self.ident(SaleOrder, i),
                    o["name"],
                    self.ident(Customer, o["customer"]),
                    SaleOrder.SALE,
                    self.date(o["day"]),
                    _midday(self.date(o["day"])),
                    self.manager_id,
                    _midday(self.date(o["day"])),
                )
                for i, o in enumerate(self.orders)
            ),
        )
        write_rows(SaleOrderLine, _LINE_FIELDS, self._line_rows())
        write_rows(Task, _TASK_FIELDS, self._task_rows())

    def _line_rows(self) -> Iterator[tuple]:
        for position, line in enumerate(self.lines):
            p = self.products[line["product"]]
            sequence = (self.orders[line["order"]]["lines"].index(position) + 1) * 10
            yield (
                self.ident(SaleOrderLine, position),
                self.ident(SaleOrder, line["order"]),
                sequence,
                p["id"],
                p["name"],
                line["quantity"],
                self.uoms[p["unit"]].pk,
                p["price"],
                TAX_RATE,
                p["policy"],
                *line["rounding"],
            )

    def task_name(self, position: int) -> str:
        line = self.lines[position]
        order = self.orders[line["order"]]
        return f"{order['name']} - {self.products[line['product']]['name']}"[:255]

    def _task_rows(self) -> Iterator[tuple]:
        for position, line in enumerate(self.lines):
            order = self.orders[line["order"]]
            p = self.products[line["product"]]
            yield (
                self.ident(Task, position),
                p["project_id"],
                self.task_name(position),
                Task.IN_PROGRESS,
                self.ident(Customer, order["customer"]),
                self.uoms[p["unit"]].qty_to_hours(line["quantity"]),
                self.ident(SaleOrderLine, position),
                _midday(self.date(order["day"])),
            )

    # -- tickets

    def build_tickets(self) -> None:
        s, rng, end = self.scale, self.rng, self.end.toordinal()
        self.tickets = []  # dicts: team, customer, line (task position or None), day, subject
        specials = (
            (SUBJECT_HOT, 0, self.hot_line, self.orders[0]["day"]),
            (SUBJECT_COLD, 0, self.cold_line, self.orders[0]["day"]),
            (SUBJECT_FORM, 0, self.form_line, end - 20),
            (SUBJECT_PDF, 1, self.pdf_line, self.orders[1]["day"] + 1),
        )
        for subject, order, line, day in specials:
            o = self.orders[order]
            self.tickets.append(
                {
                    "team": o["team"],
                    "customer": o["customer"],
                    "line": line,
                    "day": day,
                    "subject": subject,
                    "window": end - day,
                }
            )
        for k in range(len(specials), s.tickets):
            o = self.orders[rng.randrange(2, s.orders)]
            line = rng.choice(o["lines"]) if rng.random() >= 0.1 else None
            # Opened at least two weeks before "today", so its entries have room to spread.
            day = o["day"] + rng.randint(0, min(TICKET_WINDOW_DAYS, end - 14 - o["day"]))
            self.tickets.append(
                {
                    "team": o["team"],
                    "customer": o["customer"],
                    "line": line,
                    "day": day,
                    "subject": f"{rng.choice(SUBJECTS)} ({k + 1})",
                    "window": min(ENTRY_WINDOW_DAYS, end - day),
                }
            )

    def write_tickets(self) -> None:
        rng, end = self.rng, self.end.toordinal()
        rows = []
        for k, t in enumerate(self.tickets):
            team = self.teams[t["team"]]
            if t["day"] < end - 30:
                stage = Ticket.SOLVED
            else:
                stage = rng.choice((Ticket.NEW, Ticket.IN_PROGRESS))
            created = _midday(self.date(t["day"]))
            rows.append(
                (
                    self.ident(Ticket, k),
                    team["id"],
                    self.ident(Customer, t["customer"]),
                    t["subject"],
                    "Reported by phone.",
                    stage,
                    rng.choice("0001123"),
                    rng.choice(team["members"]),
                    None if t["line"] is None else self.ident(Task, t["line"]),
                    created,
                    created,
                )
            )
        write_rows(Ticket, _TICKET_FIELDS, rows)

    # -- entries

    def entries_per_ticket(self) -> list[int]:
        s, rng = self.scale, self.rng
        counts = [s.hot_entries, COLD_ENTRIES, FORM_ENTRIES, s.pdf_entries]
        regular = s.tickets - len(counts)
        base, extra = divmod(s.entries - s.special_entries, regular)
        spread = [base + (1 if i < extra else 0) for i in range(regular)]
        # Vary the sizes in pairs so that the total stays exact.
        for i in range(0, regular - 1, 2):
            low = min(spread[i], spread[i + 1])
            if low > 1:
                shift = rng.randint(0, low - 1)
                spread[i] += shift
                spread[i + 1] -= shift
        return counts + spread

    def _pick_slot(self, members: list[int], first_day: int, window: int, minutes: int):
        """A (employee, day, minutes) with room in that person's day (at most 24 h)."""
        rng = self.rng
        for _ in range(20):
            day = first_day + rng.randint(0, window)
            employee = rng.choice(members)
            if MAX_MINUTES_PER_DAY - self.day_used[(employee, day)] >= minutes:
                return employee, day, minutes
        # A busy stretch: the first day and person with the most room, at most `minutes`.
        room, day, employee = max(
            (MAX_MINUTES_PER_DAY - self.day_used[(e, d)], -d, e)
            for d in range(first_day, first_day + window + 1)
            for e in members
        )
        if room <= 0:
            raise LoadError("No room left in anybody's day: too many entries for the staff.")
        return employee, -day, min(room, minutes)

    def entry_rows(self) -> Iterator[tuple]:
        """Stream the entries; records what each posted invoice bills on the way."""
        # line position -> billed minutes of the entries its invoice line links
        self.billed_minutes: dict[int, int] = defaultdict(int)
        self.appendix: dict[int, list[tuple]] = defaultdict(list)  # order -> billed entries
        rng, work_type_rng = self.rng, self.work_type_rng
        support, no_charge = self.support.pk, self.no_charge.pk
        position = 0
        for k, count in enumerate(self.entries_per_ticket()):
            t = self.tickets[k]
            team = self.teams[t["team"]]
            ticket_id = self.ident(Ticket, k)
            line = t["line"]
            task_id = sale_line_id = billed_until = None
            increment, mode, minimum = NO_ROUNDING
            if line is not None:
                task_id = self.ident(Task, line)
                sale_line_id = self.ident(SaleOrderLine, line)
                order = self.lines[line]["order"]
                increment, mode, minimum = self.lines[line]["rounding"]
                if self.products[self.lines[line]["product"]]["policy"] == (
                    Product.POLICY_DELIVERY
                ):
                    billed_until = self.orders[order]["cutoff"]
            for _ in range(count):
                wanted = rng.choice(MINUTES)
                employee, day, minutes = self._pick_slot(
                    team["members"], t["day"], t["window"], wanted
                )
                self.day_used[(employee, day)] += minutes
                description = rng.choice(WORK)
                is_no_charge = work_type_rng.random() < NO_CHARGE_SHARE
                # Rules 28-29, as timesheets.billing.billed_minutes gives them.
                if line is None or is_no_charge:
                    billed = 0
                else:
                    billed = rounded_minutes(
                        minutes, increment=increment, mode=mode, minimum=minimum
                    )
                entry_id = self.ident(TimesheetEntry, position)
                invoice_line_id = None
                if billed_until is not None and day <= billed_until:
                    invoice_line_id = self.ident(InvoiceLine, line)
                    self.billed_minutes[line] += billed
                    self.appendix[order].append(
                        (
                            k,
                            day,
                            entry_id,
                            line,
                            employee,
                            description,
                            minutes,
                            billed,
                            is_no_charge,
                        )
                    )
                created = _midday(self.date(day))
                yield (
                    entry_id,
                    self.date(day),
                    employee,
                    team["project_id"],
                    task_id,
                    ticket_id,
                    description,
                    minutes,
                    no_charge if is_no_charge else support,
                    billed,
                    sale_line_id,
                    invoice_line_id,
                    created,
                    created,
                )
                position += 1

    # -- invoices

    def write_invoices(self) -> dict[int, int]:
        """Drafts with their lines first (the PostgreSQL guard refuses lines on a posted
        invoice), then one UPDATE posts them all. Returns the last number per year."""
        names = {p["id"]: p["full_name"] for p in self.staff}
        seller = seller_snapshot()
        invoices = []
        lines_out = []
        unbilled = set()  # positions of lines whose linked entries bill nothing in all
        for i, order in enumerate(self.orders):
            day = self.date(order["cutoff"] + 1)
            lines = []
            for index, position in enumerate(order["lines"], start=1):
                line = self.lines[position]
                p = self.products[line["product"]]
                uom = self.uoms[p["unit"]]
                if p["policy"] == Product.POLICY_ORDER:
                    quantity = line["quantity"]
                else:
                    # The billed minutes of its entries, summed first, converted once.
                    quantity = uom.minutes_to_qty(self.billed_minutes.get(position, 0))
                    if quantity <= 0:
                        if position in self.billed_minutes:
                            unbilled.add(position)
                        continue
                untaxed, tax, total = line_amounts(quantity, p["price"], TAX_RATE)
                lines.append(
                    InvoiceLine(
                        id=self.ident(InvoiceLine, position),
                        invoice_id=self.ident(Invoice, i),
                        sequence=index * 10,
                        sale_line_id=self.ident(SaleOrderLine, position),
                        description=p["name"],
                        quantity=quantity,
                        uom_id=uom.pk,
                        uom_name=uom.name,
                        price_unit=p["price"],
                        tax_rate=TAX_RATE,
                        amount_untaxed=untaxed,
                        amount_tax=tax,
                        amount_total=total,
                    )
                )
            customer = self.customers[order["customer"]]
            untaxed = sum((line.amount_untaxed for line in lines), Decimal(0))
            tax = sum((line.amount_tax for line in lines), Decimal(0))
            invoice = Invoice(
                id=self.ident(Invoice, i),
                move_type=Invoice.INVOICE,
                state=Invoice.DRAFT,
                customer_id=customer["id"],
                sale_order_id=self.ident(SaleOrder, i),
                invoice_date=day,
                due_date=day + dt.timedelta(days=customer["payment_terms_days"]),
                period_end=self.date(order["cutoff"]),
                customer_name=customer["name"],
                customer_address="\n".join(
                    [customer["street"], f"{customer['zip']} {customer['city']}", "Belgium"]
                ),
                customer_vat=customer["vat"],
                customer_email=customer["email"],
                currency=getattr(settings, "CURRENCY", "EUR"),
                amount_untaxed=untaxed,
                amount_tax=tax,
                amount_total=untaxed + tax,
                amount_due=untaxed + tax,
                created_by_id=self.manager_id,
                validated_by_id=self.manager_id,
                **seller,
            )
            invoice.appendix = [
                {
                    "entry": entry_id,
                    "line": self.ident(InvoiceLine, line),
                    "date": self.date(entry_day).isoformat(),
                    "employee": names[employee],
                    "ticket": f"#{self.ident(Ticket, k)} {self.tickets[k]['subject']}",
                    "task": self.task_name(line),
                    "description": description,
                    "minutes": minutes,
                    "hours": format_minutes(minutes),
                    "billed_minutes": billed,
                    "billed": format_minutes(billed),
                    "no_charge": is_no_charge,
                }
                for (
                    k,
                    entry_day,
                    entry_id,
                    line,
                    employee,
                    description,
                    minutes,
                    billed,
                    is_no_charge,
                ) in sorted(self.appendix.get(i, []))
                if line not in unbilled
            ]
            invoices.append((invoice, lines))
            lines_out.extend(lines)
        # Numbers follow the dates, gapless per year; each hash chains to the previous one.
        invoices.sort(key=lambda pair: (pair[0].invoice_date, pair[0].id))
        last: dict[int, int] = defaultdict(int)
        previous_hash: dict[int, str] = defaultdict(str)
        for invoice, lines in invoices:
            year = invoice.invoice_date.year
            last[year] += 1
            invoice.sequence_year, invoice.sequence_number = year, last[year]
            invoice.number = f"INV/{year}/{last[year]:05d}"
            invoice.previous_hash = previous_hash[year]
            invoice.content_hash = invoice_content_hash(invoice, lines)
            previous_hash[year] = invoice.content_hash
        write_rows(
            Invoice,
            _INVOICE_WRITE_FIELDS,
            (
                tuple(getattr(invoice, name) for name in _INVOICE_FIELDS)
                + (_midday(invoice.invoice_date),) * 2
                for invoice, _ in sorted(invoices, key=lambda pair: pair[0].id)
            ),
        )
        if unbilled:
            # As the billing run does: a line with nothing to bill gets no invoice line,
            # and its entries (all billed 0:00) wait for its next invoice.
            TimesheetEntry.objects.filter(
                invoice_line_id__in=[self.ident(InvoiceLine, p) for p in sorted(unbilled)]
            ).update(invoice_line=None)
        write_rows(
            InvoiceLine,
            _INVOICE_LINE_FIELDS,
            (tuple(getattr(line, name) for name in _INVOICE_LINE_FIELDS) for line in lines_out),
        )
        first, count = self.ident(Invoice, 0), len(self.orders)
        Invoice.objects.filter(pk__gte=first, pk__lt=first + count).update(state=Invoice.POSTED)
        return dict(last)


_LINE_FIELDS = [
    "id",
    "order_id",
    "sequence",
    "product_id",
    "description",
    "quantity",
    "uom_id",
    "price_unit",
    "tax_rate",
    "invoice_policy",
    *SaleOrderLine.ROUNDING_FIELDS,
]
_TASK_FIELDS = [
    "id",
    "project_id",
    "name",
    "stage",
    "customer_id",
    "allocated_hours",
    "sale_line_id",
    "created_at",
]
_TICKET_FIELDS = [
    "id",
    "team_id",
    "customer_id",
    "subject",
    "description",
    "stage",
    "priority",
    "assignee_id",
    "task_id",
    "created_at",
    "updated_at",
]
_ENTRY_FIELDS = [
    "id",
    "date",
    "employee_id",
    "project_id",
    "task_id",
    "ticket_id",
    "description",
    "minutes",
    "work_type_id",
    "billed_minutes",
    "sale_line_id",
    "invoice_line_id",
    "created_at",
    "updated_at",
]
_INVOICE_FIELDS = [
    "id",
    "move_type",
    "state",
    "payment_state",
    "number",
    "sequence_year",
    "sequence_number",
    "customer_id",
    "sale_order_id",
    "invoice_date",
    "due_date",
    "period_end",
    "seller_name",
    "seller_address",
    "seller_vat",
    "customer_name",
    "customer_address",
    "customer_vat",
    "customer_email",
    "currency",
    "appendix",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_paid",
    "amount_due",
    "content_hash",
    "previous_hash",
    "created_by_id",
    "validated_by_id",
]
_INVOICE_WRITE_FIELDS = [*_INVOICE_FIELDS, "created_at", "updated_at"]
_INVOICE_LINE_FIELDS = [
    "id",
    "invoice_id",
    "sequence",
    "sale_line_id",
    "description",
    "quantity",
    "uom_id",
    "uom_name",
    "price_unit",
    "tax_rate",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
]


# --- the rollup figures, set-based ---------------------------------------------------------


def recompute_rollups() -> None:
    """Delivered minutes, delivered quantity (per unit) and invoiced quantity of every
    order line, logged minutes of every task and minutes without a task of every project,
    from their source rows, in a handful of statements (no per-line loop). Delivered sums
    the entries' billed minutes (rule 28), the logged figures their worked minutes."""
    line = SaleOrderLine._meta.db_table
    entry = TimesheetEntry._meta.db_table
    task = Task._meta.db_table
    project = Project._meta.db_table
    invoice = Invoice._meta.db_table
    invoice_line = InvoiceLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {line} SET delivered_minutes = 0, qty_delivered = 0, qty_invoiced = 0"
        )
        cursor.execute(
            f"UPDATE {line} SET delivered_minutes = s.total FROM ("
            f" SELECT sale_line_id, SUM(billed_minutes) AS total FROM {entry}"
            f" WHERE sale_line_id IS NOT NULL GROUP BY sale_line_id"
            f") AS s WHERE {line}.id = s.sale_line_id"
        )
        cursor.execute(f"UPDATE {task} SET logged_minutes = 0")
        cursor.execute(
            f"UPDATE {task} SET logged_minutes = s.total FROM ("
            f" SELECT task_id, SUM(minutes) AS total FROM {entry}"
            f" WHERE task_id IS NOT NULL GROUP BY task_id"
            f") AS s WHERE {task}.id = s.task_id"
        )
        cursor.execute(
            f"UPDATE {project} SET untasked_minutes = COALESCE((SELECT SUM(e.minutes)"
            f" FROM {entry} e WHERE e.project_id = {project}.id AND e.task_id IS NULL), 0)"
        )
        uom_ids = SaleOrderLine.objects.order_by().values_list("uom_id", flat=True).distinct()
        for uom in Uom.objects.filter(pk__in=list(uom_ids)):
            # qty = minutes / minutes-per-unit, half-up at `rounding`, in integers only:
            # steps = floor((2 * minutes * q * b + p * a) / (2 * p * a)) for p/q minutes per
            # unit and a/b the rounding step, exactly like Uom.minutes_to_qty.
            per_unit = Fraction(60) * uom.reference_per_unit
            step = max(Fraction(uom.rounding), Fraction(1, 100))  # the column keeps 0.01
            p, q = per_unit.numerator, per_unit.denominator
            a, b = step.numerator, step.denominator
            # `/ b.0`: a decimal division on PostgreSQL, and on SQLite the same double as
            # the literal Django would have stored.
            cursor.execute(
                f"UPDATE {line} SET qty_delivered = "
                f"((2 * delivered_minutes * %s + %s) / %s) * {a} / {b}.0 WHERE uom_id = %s",
                [q * b, p * a, 2 * p * a, uom.pk],
            )
        cursor.execute(
            f"UPDATE {line} SET qty_invoiced = s.qty FROM ("
            f" SELECT il.sale_line_id AS sale_line_id,"
            f"  SUM(CASE WHEN i.move_type = %s THEN il.quantity ELSE -il.quantity END) AS qty"
            f" FROM {invoice_line} il JOIN {invoice} i ON i.id = il.invoice_id"
            f" WHERE il.sale_line_id IS NOT NULL"
            f"  AND ((i.move_type = %s AND i.state <> %s) OR (i.move_type = %s AND i.state = %s))"
            f" GROUP BY il.sale_line_id"
            f") AS s WHERE {line}.id = s.sale_line_id",
            [
                Invoice.INVOICE,
                Invoice.INVOICE,
                Invoice.CANCEL,
                Invoice.CREDIT_NOTE,
                Invoice.POSTED,
            ],
        )


# --- the database around the load -------------------------------------------------------------

BUSINESS_MODELS = (
    TimesheetEntry,
    InvoiceLine,
    Invoice,
    Ticket,
    HelpdeskTeam.members.through,
    HelpdeskTeam,
    Task,
    SaleOrderLine,
    SaleOrder,
    Product,
    Project,
    Customer,
)


def business_data_present() -> list[str]:
    """What already holds rows (the load needs an empty database, bar migrations' data)."""
    found = [m._meta.verbose_name_plural for m in BUSINESS_MODELS if m.objects.exists()]
    if User.objects.filter(username__startswith=USERNAME_PREFIX).exists():
        found.append("bench users")
    return [str(name) for name in found]


def reset_business_data() -> None:
    """Empty every business table and drop the bench users (for `bench --reset`).

    PostgreSQL: TRUNCATE, which fires no row trigger, so posted invoices go too; the
    statement-level TRUNCATE guard is lifted for this transaction only."""
    models_ = [Payment, *BUSINESS_MODELS, Sequence]
    # django-simple-history's tables of those models (rows written by B1 and the services).
    models_ += [m.history.model for m in models_ if hasattr(m, "history")]
    tables = [m._meta.db_table for m in models_]
    with transaction.atomic(), connection.cursor() as cursor:
        if _is_postgres():
            # Rows written earlier in this transaction have foreign-key checks pending,
            # which TRUNCATE refuses: run them now, then defer again for the load.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # The TRUNCATE guard of invoicing migration 0008 lets this one transaction by.
            cursor.execute("SET LOCAL billable.allow_truncate = 'on'")
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
        User.objects.filter(username__startswith=USERNAME_PREFIX).delete()


def _reset_id_sequences() -> None:
    if not _is_postgres():
        return
    through = [User.groups.through, HelpdeskTeam.members.through]
    statements = connection.ops.sequence_reset_sql(no_style(), [User, *BUSINESS_MODELS, *through])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def analyze() -> None:
    """Fresh planner statistics (and a visibility map for index-only scans) after a load."""
    if not _is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return
    verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for model in (User, *BUSINESS_MODELS):
            cursor.execute(f"{verb} {model._meta.db_table}")


def load(
    *,
    scale: Scale,
    seed: int = SEED,
    end: dt.date = END,
    reset: bool = False,
    log: Callable[[str], None] = lambda _message: None,
) -> LoadReport:
    """Load `scale` into the default database (empty, or emptied with `reset`)."""
    report = LoadReport(scale=scale.name, seed=seed)
    started = time.perf_counter()

    def phase(name: str, since: float) -> float:
        now = time.perf_counter()
        report.phases[name] = now - since
        log(f"  {name}: {now - since:.1f} s")
        return now

    mark = started
    with transaction.atomic():
        if reset:
            reset_business_data()
            mark = phase("reset", mark)
        present = business_data_present()
        if present:
            raise LoadError(
                "The database already holds " + ", ".join(present) + ": use --skip-load to "
                "measure it as it is, or --reset to empty it first."
            )
        app_settings = AppSettings.load()
        app_settings.timesheets_enabled = app_settings.uom_enabled = True
        app_settings.save()
        company = _Company(scale, seed, end)
        company.build_people()
        company.write_people()
        company.build_orders()
        company.write_orders()
        mark = phase("customers, staff, teams, products, orders, lines, tasks", mark)
        company.build_tickets()
        company.write_tickets()
        mark = phase("tickets", mark)
        write_rows(TimesheetEntry, _ENTRY_FIELDS, company.entry_rows())
        mark = phase("timesheet entries", mark)
        last_numbers = company.write_invoices()
        mark = phase("posted invoices", mark)
        Sequence.objects.update_or_create(
            code="SO", year=0, defaults={"last_number": len(company.orders)}
        )
        for year, number in last_numbers.items():
            Sequence.objects.update_or_create(
                code="INV", year=year, defaults={"last_number": number}
            )
        recompute_rollups()
        _reset_id_sequences()
        mark = phase("rollups (set-based)", mark)
    mark = phase("commit (deferred foreign-key checks)", mark)
    analyze()
    mark = phase("analyze", mark)
    report.seconds = time.perf_counter() - started
    report.delivered_differences = len(recompute_all_delivered(fix=False))
    mark = phase("check: recompute_all_delivered(fix=False)", mark)
    report.invoice_integrity_problems = len(invoices_verify())
    phase("check: invoices_verify (hash chain)", mark)
    report.counts = data_counts()
    return report


def data_counts() -> dict[str, int]:
    return {
        "customers": Customer.objects.count(),
        "staff": User.objects.filter(username__startswith=USERNAME_PREFIX).count(),
        "teams": HelpdeskTeam.objects.count(),
        "products": Product.objects.count(),
        "orders": SaleOrder.objects.count(),
        "lines": SaleOrderLine.objects.count(),
        "tasks": Task.objects.count(),
        "tickets": Ticket.objects.count(),
        "entries": TimesheetEntry.objects.count(),
        "posted_invoices": Invoice.objects.filter(state=Invoice.POSTED).count(),
        "invoice_lines": InvoiceLine.objects.count(),
    }


def data_totals() -> dict[str, object]:
    """Counts and sums that two loads at one seed must share (the determinism check)."""
    lines = SaleOrderLine.objects.aggregate(
        minutes=Sum("delivered_minutes"),
        delivered=Sum("qty_delivered"),
        invoiced=Sum("qty_invoiced"),
        ordered=Sum("quantity"),
        rounded=models.Count("pk", filter=models.Q(rounding_increment__gt=1)),
    )
    invoices = Invoice.objects.aggregate(total=Sum("amount_total"), tax=Sum("amount_tax"))
    invoiced = models.Q(invoice_line__isnull=False)
    entries = TimesheetEntry.objects.aggregate(
        worked=Sum("minutes"),
        billed=Sum("billed_minutes"),
        invoiced_worked=Sum("minutes", filter=invoiced),
        invoiced_billed=Sum("billed_minutes", filter=invoiced),
        no_charge=models.Count("pk", filter=models.Q(work_type__billing=WorkType.NO_CHARGE)),
    )
    last = Invoice.objects.order_by("-invoice_date", "-sequence_number").first()
    return {
        **data_counts(),
        "delivered_minutes": lines["minutes"],
        "qty_delivered": str(lines["delivered"]),
        "qty_invoiced": str(lines["invoiced"]),
        "qty_ordered": str(lines["ordered"]),
        "lines_with_rounding": lines["rounded"],
        "worked_minutes": entries["worked"],
        "billed_minutes": entries["billed"],
        "invoiced_worked_minutes": entries["invoiced_worked"],
        "invoiced_billed_minutes": entries["invoiced_billed"],
        "no_charge_entries": entries["no_charge"],
        "invoice_total": str(invoices["total"]),
        "invoice_tax": str(invoices["tax"]),
        "last_invoice": last.number if last else None,
        "last_invoice_hash": last.content_hash if last else None,
    }


# --- what the figures need ----------------------------------------------------------------------


@dataclass
class Fixtures:
    """The rows the figures use, found by name; any may be None (not loaded)."""

    manager: object | None
    showcase_order: SaleOrder | None
    pdf_order: SaleOrder | None
    hot_ticket: Ticket | None
    cold_ticket: Ticket | None
    form_ticket: Ticket | None
    pdf_ticket: Ticket | None
    end: dt.date = END

    @property
    def customer_id(self) -> int | None:
        return self.showcase_order.customer_id if self.showcase_order else None

    @property
    def month(self) -> tuple[dt.date, dt.date]:
        """The last full month before the data's "today"."""
        last = self.end.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last

    @property
    def week(self) -> tuple[dt.date, dt.date]:
        monday = self.end - dt.timedelta(days=self.end.weekday())
        return monday, monday + dt.timedelta(days=6)


def find_fixtures() -> Fixtures:
    orders = {o.name: o for o in SaleOrder.objects.filter(name__in=[SHOWCASE_ORDER, PDF_ORDER])}
    tickets = {
        t.subject: t
        for t in Ticket.objects.filter(subject__in=SPECIAL_SUBJECTS).select_related("task")
    }
    return Fixtures(
        manager=User.objects.filter(username=MANAGER_USERNAME).first(),
        showcase_order=orders.get(SHOWCASE_ORDER),
        pdf_order=orders.get(PDF_ORDER),
        hot_ticket=tickets.get(SUBJECT_HOT),
        cold_ticket=tickets.get(SUBJECT_COLD),
        form_ticket=tickets.get(SUBJECT_FORM),
        pdf_ticket=tickets.get(SUBJECT_PDF),
    )
