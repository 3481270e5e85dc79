"""The figures of issues 7 (B1-B7) and 15 (B8), measured against the loaded data.

Each figure is a `Figure` row: median and p95 in milliseconds over `runs`, its target,
whether the target is met, and details (query counts, ratios, throughput). A piece
that does not exist yet (a page, a service) gives an "n/a" row with the reason; an
exception gives an "error" row: the benchmark itself never crashes on them.

Writes are undone: B1 deletes the entries it logged (through the service), B4, B6 and
B8 run inside a transaction that is rolled back, so `--skip-load` can measure again.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import django
from django.conf import settings
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, reverse

from bench.loader import Fixtures
from invoicing.einvoice.validation import validate_xml
from invoicing.models import Invoice
from invoicing.services import (
    billing_run,
    invoice_create_from_order,
    invoice_pdf_bytes,
    invoice_validate,
)
from sales.models import Product, SaleOrder, SaleOrderLine, WorkType
from timesheets.models import TimesheetEntry
from timesheets.services import recompute_all_delivered, timesheet_delete, timesheet_log

FIGURE_IDS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8")


class NotAvailable(Exception):
    """A piece the figure needs does not exist (yet): reported as "n/a: <reason>"."""


@dataclass
class Figure:
    id: str
    what: str
    status: str = "ok"  # ok | n/a | error
    note: str = ""
    runs: int = 0
    median_ms: float | None = None
    p95_ms: float | None = None
    target: str = ""
    met: bool | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_samples(cls, id: str, what: str, samples_ms: list[float], **kwargs) -> Figure:
        median, p95 = summarize(samples_ms)
        return cls(id=id, what=what, runs=len(samples_ms), median_ms=median, p95_ms=p95, **kwargs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "what": self.what,
            "status": self.status,
            "median_ms": _round(self.median_ms),
            "p95_ms": _round(self.p95_ms),
            "runs": self.runs,
            "target": self.target,
            "met": self.met,
            "note": self.note,
            "details": self.details,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (p95 of 50 runs is the 48th fastest)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(samples: list[float]) -> tuple[float | None, float | None]:
    if not samples:
        return None, None
    return statistics.median(samples), percentile(samples, 95)


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _need(value, what: str):
    if value is None:
        raise NotAvailable(f"{what} is not in the database (load the bench data first)")
    return value


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gb": _memory_gb(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": connection.vendor,
        "load_average": _load_average(),
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["postgresql"] = cursor.fetchone()[0]
    else:
        info["postgresql"] = "sqlite"
        info["sqlite"] = sqlite3.sqlite_version
    return info


def _load_average() -> list[float] | None:
    """Other processes on the machine skew every figure: recorded with the results."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a transaction (a savepoint when nested) and always undo it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- the pages of B2 and their floors (B3) -------------------------------------------------


@dataclass(frozen=True)
class Page:
    key: str
    what: str
    url_names: tuple[str, ...]  # the first that reverses is used
    kwargs: Callable[[Fixtures], dict[str, Any]]
    query: Callable[[Fixtures], dict[str, Any]]
    floor_params: Callable[[Fixtures], dict[str, Any]]


def _form_ticket(fx: Fixtures) -> int:
    return _need(fx.form_ticket, "The ticket with 50 entries").pk


def _showcase(fx: Fixtures) -> int:
    return _need(fx.showcase_order, "The order with 20 lines").pk


def _week_query(fx: Fixtures) -> dict[str, Any]:
    return {"week": fx.week[0].isoformat()}


def _week_floor(fx: Fixtures) -> dict[str, Any]:
    manager = _need(fx.manager, "The bench manager")
    return {"employee": manager.pk, "date_from": fx.week[0], "date_to": fx.week[1]}


def _month_query(fx: Fixtures) -> dict[str, Any]:
    customer = _need(fx.customer_id, "The customer of the order with 20 lines")
    return {"customer": customer, "date_from": fx.month[0], "date_to": fx.month[1]}


def _nothing(_fixtures: Fixtures) -> dict[str, Any]:
    return {}


def _week_of_data(fx: Fixtures) -> dict[str, Any]:
    return {"date_from": fx.week[0], "date_to": fx.week[1]}


PAGES = (
    Page(
        "team_overview",
        "Helpdesk teams overview (the staff home page), the data's current week",
        ("helpdesk:team_list",),
        _nothing,
        _week_query,
        _week_of_data,
    ),
    Page(
        "ticket_form",
        "Ticket form (50 entries)",
        ("helpdesk:ticket_detail", "helpdesk:ticket_form", "helpdesk:ticket_edit"),
        lambda fx: {"pk": _form_ticket(fx)},
        _nothing,
        lambda fx: {"id": _form_ticket(fx)},
    ),
    Page(
        "ticket_entries",
        "Ticket's Timesheets tab (htmx, 50 entries)",
        ("timesheets:ticket_entries",),
        lambda fx: {"pk": _form_ticket(fx)},
        _nothing,
        lambda fx: {"id": _form_ticket(fx)},
    ),
    Page(
        "order_form",
        "Order form (20 lines)",
        ("sales:order_detail", "sales:order_form", "sales:order_edit"),
        lambda fx: {"pk": _showcase(fx)},
        _nothing,
        lambda fx: {"id": _showcase(fx)},
    ),
    Page(
        "my_week",
        "My Timesheets, one week",
        ("timesheets:my_week", "timesheets:my_timesheets", "timesheets:mine"),
        _nothing,
        _week_query,
        _week_floor,
    ),
    Page(
        "all_timesheets",
        "All Timesheets, one customer-month",
        ("timesheets:all", "timesheets:all_entries", "timesheets:entry_list"),
        _nothing,
        _month_query,
        _month_query,
    ),
    Page(
        "invoice_list",
        "Invoice list",
        ("invoicing:invoice_list",),
        _nothing,
        _nothing,
        _nothing,
    ),
    Page(
        "project_list",
        "Project list",
        ("projects:project_list",),
        _nothing,
        _nothing,
        _nothing,
    ),
)


def _page_url(page: Page, fx: Fixtures) -> str:
    kwargs = page.kwargs(fx)
    for name in page.url_names:
        try:
            path = reverse(name, kwargs=kwargs or None)
        except NoReverseMatch:
            continue
        query = page.query(fx)
        return f"{path}?{urlencode(query)}" if query else path
    raise NotAvailable(f"page not available (no URL named {' / '.join(page.url_names)})")


def _floor_url(page: Page, fx: Fixtures) -> str:
    path = reverse("bench_floor", kwargs={"page": page.key})
    params = page.floor_params(fx)
    return f"{path}?{urlencode(params)}" if params else path


def _is_transaction_control(sql: str) -> bool:
    words = sql.lstrip().upper().split(None, 2)
    return bool(words) and (
        words[0] in {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"}
        or (words[0] == "ROLLBACK" and (len(words) == 1 or words[1] == "TO"))
    )


def _time_get(
    client: Client, url: str, runs: int, captured: list | None = None
) -> tuple[list[float], int, int]:
    """One counted request (queries, status), then `runs` timed ones. The counted
    request's queries (sql, time) are appended to `captured` when given."""
    reset_queries()
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    # Read now: the next request (outside the context) resets the query log. Transaction
    # control (logged on SQLite, not on PostgreSQL) is not counted.
    queries = [q for q in context.captured_queries if not _is_transaction_control(q["sql"])]
    if response.status_code != 200:
        raise NotAvailable(f"GET {url} answered HTTP {response.status_code}")
    size = len(response.content)
    if captured is not None:
        captured.extend(queries)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(_ms_since(start))
        if response.status_code != 200:
            raise NotAvailable(f"GET {url} answered HTTP {response.status_code}")
    return samples, len(queries), size


# --- the benchmark ---------------------------------------------------------------------------


class Bench:
    def __init__(
        self,
        *,
        fixtures: Fixtures,
        scale: str,
        runs: int | None = None,
        log: Callable[[str], None] = lambda _message: None,
    ):
        self.fixtures = fixtures
        self.scale = scale
        self.runs_override = runs
        self.log = log
        self.page_queries: dict[str, list[dict[str, str]]] = {}  # B2, for --explain
        self.page_figures: dict[str, Figure] = {}  # B2, for B3's ratios

    def runs(self, default: int) -> int:
        return self.runs_override or default

    def run(self, only: set[str] | None = None) -> list[Figure]:
        figures: list[Figure] = []
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        # Measured as in production: no query log (DEBUG), no test instrumentation.
        with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts):
            for figure_id, what, measure in FIGURES:
                if only and figure_id not in only:
                    continue
                self.log(f"{figure_id}: {what}...")
                started = time.perf_counter()
                try:
                    figures.extend(measure(self))
                except NotAvailable as reason:
                    figures.append(Figure(figure_id, what, status="n/a", note=str(reason)))
                except Exception as error:  # a piece under construction must not stop the rest
                    note = f"{type(error).__name__}: {error}"
                    figures.append(Figure(figure_id, what, status="error", note=note[:300]))
                self.log(f"{figure_id}: done in {time.perf_counter() - started:.1f} s")
        return figures

    # B1 ---------------------------------------------------------------------------------

    def log_entry(self) -> list[Figure]:
        fx = self.fixtures
        manager = _need(fx.manager, "The bench manager")
        hot = _need(fx.hot_ticket, "The hot line's ticket")
        cold = _need(fx.cold_ticket, "The cold line's ticket")
        sizes = {
            name: TimesheetEntry.objects.filter(sale_line_id=ticket.task.sale_line_id).count()
            for name, ticket in (("hot", hot), ("cold", cold))
        }
        day = fx.end + dt.timedelta(days=1)  # nobody has logged time on it
        samples: dict[str, list[float]] = {"hot": [], "cold": []}
        created = []
        runs = self.runs(50)
        try:
            for run in range(runs + 1):  # the first round warms up
                for name, ticket in (("hot", hot), ("cold", cold)):
                    start = time.perf_counter()
                    entry = timesheet_log(
                        employee=manager,
                        date=day,
                        minutes=1,
                        ticket=ticket,
                        description="bench B1",
                        actor=manager,
                    )
                    elapsed = _ms_since(start)
                    created.append(entry)
                    if run:
                        samples[name].append(elapsed)
        finally:
            for entry in created:
                timesheet_delete(entry=entry, actor=manager)
        hot_fig = Figure.from_samples(
            "B1.hot",
            f"timesheet_log on a line with {sizes['hot']:,} entries",
            samples["hot"],
        )
        cold_fig = Figure.from_samples(
            "B1.cold",
            f"timesheet_log on a line with {sizes['cold']:,} entries",
            samples["cold"],
        )
        ratio = hot_fig.median_ms / cold_fig.median_ms
        hot_fig.target = "hot/cold median <= 1.5"
        hot_fig.met = ratio <= 1.5
        hot_fig.details = {"ratio": round(ratio, 2), "entries_on_line": sizes["hot"]}
        cold_fig.details = {"entries_on_line": sizes["cold"]}
        return [hot_fig, cold_fig]

    # B2 and B3 -----------------------------------------------------------------------------

    def _client(self) -> Client:
        manager = _need(self.fixtures.manager, "The bench manager")
        client = Client()
        client.force_login(manager)
        return client

    def pages(self) -> list[Figure]:
        client = self._client()
        figures = []
        for page in PAGES:
            figure_id = f"B2.{page.key}"
            try:
                url = _page_url(page, self.fixtures)
                captured = self.page_queries.setdefault(page.key, [])
                samples, queries, size = _time_get(client, url, self.runs(50), captured)
            except NotAvailable as reason:
                figures.append(Figure(figure_id, page.what, status="n/a", note=str(reason)))
                continue
            except Exception as error:
                note = f"{type(error).__name__}: {error}"[:300]
                figures.append(Figure(figure_id, page.what, status="error", note=note))
                continue
            figure = Figure.from_samples(
                figure_id,
                page.what,
                samples,
                target="median <= 50 ms, p95 <= 120 ms",
                details={"queries": queries, "url": url, "bytes": size},
            )
            figure.met = figure.median_ms <= 50 and figure.p95_ms <= 120
            figures.append(figure)
        self.page_figures = {f.id.split(".", 1)[1]: f for f in figures}
        return figures

    def floors(self) -> list[Figure]:
        client = self._client()
        figures = []
        with override_settings(ROOT_URLCONF="bench.urls"):
            for page in PAGES:
                figure_id = f"B3.{page.key}"
                what = f"{page.what}: one SQL query, bare JSON view"
                try:
                    url = _floor_url(page, self.fixtures)
                    samples, queries, size = _time_get(client, url, self.runs(50))
                except NotAvailable as reason:
                    figures.append(Figure(figure_id, what, status="n/a", note=str(reason)))
                    continue
                figure = Figure.from_samples(
                    figure_id,
                    what,
                    samples,
                    target="page <= 3x floor",
                    details={"queries": queries, "bytes": size},
                )
                page_figure = self.page_figures.get(page.key)
                if page_figure and page_figure.median_ms is not None:
                    ratio = page_figure.median_ms / figure.median_ms
                    figure.details["page_over_floor"] = round(ratio, 2)
                    figure.met = ratio <= 3
                else:
                    figure.note = "page not measured (run B2 too) or not available"
                figures.append(figure)
        return figures

    def explain(self, *, slowest: int = 3) -> str:
        """EXPLAIN ANALYZE of each B2 page's slowest SELECTs (from its counted request)."""
        analyze = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else None
        out = []
        for key, queries in self.page_queries.items():
            total = sum(float(q["time"]) for q in queries)
            out.append(f"=== {key}: {len(queries)} queries, {total * 1000:.1f} ms in the database")
            for number, query in enumerate(queries, start=1):
                out.append(f"  {number:>3}. {float(query['time']) * 1000:8.1f} ms  {query['sql']}")
            ranked = sorted(queries, key=lambda q: float(q["time"]), reverse=True)
            selects = [q for q in ranked if q["sql"].lstrip().upper().startswith("SELECT")]
            for query in selects[:slowest]:
                out.append(f"\n--- {float(query['time']) * 1000:.1f} ms: {query['sql']}")
                with rolled_back(), connection.cursor() as cursor:
                    if analyze:
                        cursor.execute(analyze + query["sql"])
                    else:
                        cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
                    out.extend("    " + " ".join(str(c) for c in row) for row in cursor.fetchall())
            out.append("")
        return "\n".join(out)

    # B4 ---------------------------------------------------------------------------------

    def billing(self) -> list[Figure]:
        fx = self.fixtures
        up_to = fx.end
        expected = _unbilled_by_line(up_to)
        top = Invoice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with rolled_back():
            start = time.perf_counter()
            invoices = billing_run(up_to=up_to, actor=fx.manager)
            elapsed = _ms_since(start)
            billed = _billed_by_line(after_invoice=top)
            left = _lines_not_fully_invoiced()
            amount = sum((inv.amount_untaxed for inv in invoices), Decimal(0))
        entries = sum(count for count, _ in billed.values())
        billed_minutes = sum(minutes for _, minutes in billed.values())
        identical = billed == expected
        rate = entries / (elapsed / 1000) if elapsed else 0.0
        figure = Figure.from_samples(
            "B4",
            f"billing_run(up_to={up_to}): {len(invoices):,} drafts, {entries:,} entries",
            [elapsed],
            target=">= 20,000 entries/s; totals = raw SQL SUM(billed_minutes) ... GROUP BY",
            details={
                "entries": entries,
                "billed_minutes": billed_minutes,
                "entries_per_second": round(rate),
                "invoices": len(invoices),
                "amount_untaxed": str(amount),
                "totals_identical": identical,
                "lines_compared": len(expected),
                "lines_differing": sum(
                    1 for key in set(expected) | set(billed) if expected.get(key) != billed.get(key)
                ),
                "lines_not_fully_invoiced_after": left,
            },
            note="run once inside a transaction that is rolled back afterwards",
        )
        figure.met = identical and rate >= 20_000
        return [figure]

    # B5 ---------------------------------------------------------------------------------

    def recompute(self) -> list[Figure]:
        samples, differences = [], 0
        for _ in range(self.runs(3 if self.scale == "full" else 5)):
            start = time.perf_counter()
            differences = len(recompute_all_delivered(fix=False))
            samples.append(_ms_since(start))
        figure = Figure.from_samples(
            "B5",
            f"recompute_all_delivered(fix=False) over {TimesheetEntry.objects.count():,} entries",
            samples,
            target="<= 20 s, no difference",
            details={"differences": differences},
        )
        figure.met = figure.median_ms <= 20_000 and differences == 0
        return [figure]

    # B6 ---------------------------------------------------------------------------------

    def pdf(self) -> list[Figure]:
        fx = self.fixtures
        order = _need(fx.pdf_order, "The order of the PDF invoice")
        samples = []
        with rolled_back():
            invoice = invoice_create_from_order(order=order, up_to=fx.end, actor=fx.manager)
            entries = TimesheetEntry.objects.filter(invoice_line__invoice=invoice).count()
            size = 0
            for _ in range(self.runs(3)):
                start = time.perf_counter()
                size = len(invoice_pdf_bytes(invoice=invoice))
                samples.append(_ms_since(start))
        figure = Figure.from_samples(
            "B6",
            f"invoice_pdf_bytes: draft invoice with {entries:,} billed entries",
            samples,
            target="<= 2 s",
            details={"entries": entries, "pdf_bytes": size},
        )
        figure.met = figure.median_ms <= 2000
        return [figure]

    # B8 ---------------------------------------------------------------------------------

    def einvoice(self) -> list[Figure]:
        """Validate the B6 invoice (number, frozen snapshot, UBL and CII made in the
        posting's transaction), render its Factur-X PDF (PDF/A-3 with the CII), and run
        the official check (XSD + CEN schematron) on both XMLs; all rolled back."""
        fx = self.fixtures
        order = _need(fx.pdf_order, "The order of the PDF invoice")
        posts, pdfs, checks, fatal, entries = [], [], [], 0, 0
        validate_xml(b"<warm-up/>", syntax="ubl-invoice")  # compile the stylesheets once
        validate_xml(b"<warm-up/>", syntax="cii")
        for _ in range(self.runs(3)):
            with rolled_back():
                draft = invoice_create_from_order(order=order, up_to=fx.end, actor=fx.manager)
                entries = TimesheetEntry.objects.filter(invoice_line__invoice=draft).count()
                start = time.perf_counter()
                invoice = invoice_validate(invoice=draft, actor=fx.manager)
                posts.append(_ms_since(start))
                start = time.perf_counter()
                invoice_pdf_bytes(invoice=invoice)
                pdfs.append(_ms_since(start))
                stored = Invoice.objects.get(pk=invoice.pk).pdf
                if stored:
                    stored.storage.delete(stored.name)  # its row is rolled back
                start = time.perf_counter()
                failures = validate_xml(invoice.ubl_xml.encode(), syntax="ubl-invoice")
                failures += validate_xml(invoice.cii_xml.encode(), syntax="cii")
                checks.append(_ms_since(start))
                fatal = [f"{f.rule_id}: {f.text}" for f in failures if f.flag == "fatal"]
        details = {"entries": entries}
        post = Figure.from_samples(
            "B8.post",
            f"invoice_validate with UBL + CII: draft with {entries:,} billed entries",
            posts,
            target="<= 1 s",
            details=details,
        )
        post.met = post.median_ms <= 1000
        pdf = Figure.from_samples(
            "B8.pdf",
            "Factur-X PDF (PDF/A-3b, CII embedded) of that posted invoice",
            pdfs,
            target="<= 2.5 s",
            details=details,
        )
        pdf.met = pdf.median_ms <= 2500
        check = Figure.from_samples(
            "B8.check",
            "EN 16931 check (XSD + CEN schematron) of its UBL and CII",
            checks,
            target="<= 1 s, no fatal rule",
            details={"fatal": len(fatal), "rules": fatal[:5]},
        )
        check.met = check.median_ms <= 1000 and not fatal
        return [post, pdf, check]

    # B7 ---------------------------------------------------------------------------------

    def load_test(self) -> list[Figure]:
        raise NotAvailable(
            "needs gunicorn (2 x cores + 1 workers) and locust (not installed); "
            "not run by manage.py bench"
        )


FIGURES: tuple[tuple[str, str, Callable[[Bench], list[Figure]]], ...] = (
    ("B1", "log one entry: hot line vs cold line", Bench.log_entry),
    ("B2", "page server time", Bench.pages),
    ("B3", "page floor: one SQL query each", Bench.floors),
    ("B4", "billing run", Bench.billing),
    ("B5", "recompute delivered, check only", Bench.recompute),
    ("B6", "invoice PDF with 500 entries", Bench.pdf),
    ("B7", "load test: gunicorn + locust", Bench.load_test),
    ("B8", "e-invoices: validate, Factur-X PDF, official check", Bench.einvoice),
)


# --- B4's raw SQL ------------------------------------------------------------------------------


def _unbilled_by_line(up_to: dt.date) -> dict[int, tuple[int, int]]:
    """What a billing run up to `up_to` must bill: (entries, billed minutes) per order
    line. Billable entries only (rules 27, 28, 33: not marked non-billable, not of a
    Non-billable work type, not waiting for approval; No charge ones are billed at
    0:00); a line whose entries bill 0:00 in all gets no invoice line (nothing to bill),
    so they stay unbilled. Each entry's billed minutes are those stored (rule 29 applied
    by the timesheet services, `recompute_all_delivered` checks them)."""
    entry = TimesheetEntry._meta.db_table
    line = SaleOrderLine._meta.db_table
    order = SaleOrder._meta.db_table
    work_type = WorkType._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.sale_line_id, COUNT(*), SUM(e.billed_minutes) FROM {entry} e"
            f" JOIN {line} l ON l.id = e.sale_line_id JOIN {order} o ON o.id = l.order_id"
            f" JOIN {work_type} w ON w.id = e.work_type_id"
            f" WHERE e.invoice_line_id IS NULL AND e.date <= %s"
            f" AND l.invoice_policy = %s AND o.state = %s"
            f" AND NOT e.non_billable AND w.billing <> %s"
            f" AND (e.approval_state IS NULL OR e.approval_state <> %s)"
            f" GROUP BY e.sale_line_id HAVING SUM(e.billed_minutes) > 0",
            [
                up_to,
                Product.POLICY_DELIVERY,
                SaleOrder.SALE,
                WorkType.NON_BILLABLE,
                TimesheetEntry.TO_APPROVE,
            ],
        )
        return {row[0]: (int(row[1]), int(row[2])) for row in cursor.fetchall()}


def _billed_by_line(*, after_invoice: int) -> dict[int, tuple[int, int]]:
    """What the invoices numbered above `after_invoice` bill: (entries, billed minutes)
    per line."""
    entry = TimesheetEntry._meta.db_table
    invoice_line = Invoice.lines.field.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.sale_line_id, COUNT(*), SUM(e.billed_minutes) FROM {entry} e"
            f" JOIN {invoice_line} il ON il.id = e.invoice_line_id"
            f" WHERE il.invoice_id > %s GROUP BY e.sale_line_id",
            [after_invoice],
        )
        return {row[0]: (int(row[1]), int(row[2])) for row in cursor.fetchall()}


def _lines_not_fully_invoiced() -> int:
    """Confirmed lines whose invoiced figure is not what they deliver (or ordered)."""
    line = SaleOrderLine._meta.db_table
    order = SaleOrder._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {line} l JOIN {order} o ON o.id = l.order_id"
            f" WHERE o.state = %s AND ("
            f" (l.invoice_policy = %s AND l.qty_invoiced <> l.qty_delivered)"
            f" OR (l.invoice_policy = %s AND l.qty_invoiced <> l.quantity))",
            [SaleOrder.SALE, Product.POLICY_DELIVERY, Product.POLICY_ORDER],
        )
        return int(cursor.fetchone()[0])


# --- output ------------------------------------------------------------------------------------


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def format_table(figures: list[Figure]) -> str:
    header = f"{'figure':<20} {'median ms':>10} {'p95 ms':>10} {'runs':>5}  {'met':<4} what"
    lines = [header, "-" * len(header)]
    for f in figures:
        met = {True: "yes", False: "NO", None: "-"}[f.met]
        if f.status != "ok":
            lines.append(f"{f.id:<20} {f.status}: {f.note}  ({f.what})")
            continue
        details = ", ".join(f"{k}={v}" for k, v in f.details.items() if k != "url")
        lines.append(
            f"{f.id:<20} {_cell(f.median_ms):>10} {_cell(f.p95_ms):>10} {f.runs:>5}  {met:<4} "
            f"{f.what}"
        )
        if details or f.target:
            lines.append(f"{'':<20} target: {f.target}; {details}".rstrip("; "))
        if f.note:
            lines.append(f"{'':<20} note: {f.note}")
    return "\n".join(lines)


def compare_queries(figures: list[Figure], previous: dict[str, Any]) -> list[str]:
    """B2's "same query count at small and full scale": mark each page against an earlier
    results file (usually the other scale); returns the pages whose count differs."""
    other_scale = previous.get("scale", "previous")
    before = {
        f["id"]: f.get("details", {}).get("queries")
        for f in previous.get("figures", [])
        if f.get("id", "").startswith("B2.")
    }
    differing = []
    for figure in figures:
        queries = figure.details.get("queries")
        if not figure.id.startswith("B2.") or queries is None or before.get(figure.id) is None:
            continue
        figure.details[f"queries_at_{other_scale}"] = before[figure.id]
        if before[figure.id] != queries:
            figure.met = False
            differing.append(f"{figure.id}: {queries} here, {before[figure.id]} at {other_scale}")
    return differing
