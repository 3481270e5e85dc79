#!/usr/bin/env python3
"""Black-box load test: the production stack under mixed concurrent writes, then the
ledger checked by SQL.

    .venv/bin/python scripts/blackbox_load.py --clients 30 --requests 2000 --seconds 120
    .venv/bin/python scripts/blackbox_load.py --clients 20 --seconds 60 --kill-worker

What it does, on this machine only (loopback):
1. creates a fresh PostgreSQL database (`--database`, default `billable_blackbox_<pid>`)
   next to `DATABASE_URL` / `--admin-url`, migrates it, collects the static files,
   loads the demo data (`manage.py seed_demo`) and adds its own accounts: Helpdesk
   Users and Managers with API tokens (`manage.py shell`);
2. starts gunicorn (`--workers`, default 3) with `config.settings.production` on a free
   port. It stands in for the TLS proxy the production settings expect: every request
   says `X-Forwarded-Proto: https`, and the Secure cookies are sent over plain http;
3. runs `--clients` threads until `--seconds` have passed or `--requests` were sent.
   Staff log time on tickets and tasks through the API and the ticket's Timesheets
   tab, edit and delete entries, open tickets; Managers create and confirm orders,
   add lines, create invoices, validate, cancel, credit, register payments (some
   twice at once), cancel orders, run the billing run and log time for staff. A share
   of every client's requests is malformed (bad dates, huge quantities, wrong types,
   broken JSON, ids that do not exist). `--kill-worker` kills one gunicorn worker
   with SIGKILL half-way (gunicorn starts another; requests cut by it count as
   connection errors, never as HTTP 500);
4. stops gunicorn and checks the ledger invariants with plain SQL (psycopg), not with
   the product's own commands: see `INVARIANTS`.

It prints the counts by status code and by operation, the connection errors, a sample
of each operation's HTTP 500 with the traceback from gunicorn's log, and every
invariant breach. Exit status 0 only with no HTTP 500 and no breach (1 otherwise, 2 if
the stack could not be set up). The database is dropped at the end unless `--keep-db`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# A Django request log record ("Bad Request: /api/...", "Forbidden (CSRF ...): /login/").
LOG_RECORD = re.compile(r"^[A-Z][A-Za-z ]+( \(.*\))?: /")
CONNECTION_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def log(message: str) -> None:
    print(f"[blackbox] {message}", flush=True)


# --- the stack --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_conninfo(url: str) -> str:
    return with_database(url, "postgres").replace("postgres://", "postgresql://", 1)


def create_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


SETUP_ACCOUNTS = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from api.services import api_token_issue
from core import roles
accounts = json.loads({accounts!r})
User = get_user_model()
out = []
for account in accounts:
    user, _ = User.objects.get_or_create(username=account["username"], defaults={{
        "first_name": account["username"].title(), "last_name": "Load"}})
    user.set_password(account["password"])
    user.save()
    group = roles.MANAGER if account["role"] == "manager" else roles.HELPDESK_USER
    user.groups.add(Group.objects.get(name=group))
    _, key = api_token_issue(user=user, name="blackbox load", revoke_others=True)
    out.append({{**account, "id": user.pk, "token": key}})
print("ACCOUNTS=" + json.dumps(out))
"""


@dataclass
class Stack:
    python: str
    env: dict[str, str]
    port: int
    workers: int
    logdir: Path
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str, timeout: float = 600) -> str:
        result = subprocess.run(
            [self.python, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def start(self) -> None:
        self.error_log = self.logdir / "gunicorn-error.log"
        command = [
            self.python,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
            "--error-logfile",
            str(self.error_log),
            "--capture-output",
            "--access-logfile",
            str(self.logdir / "gunicorn-access.log"),
            "--access-logformat",
            "%(m)s %(U)s %(s)s %(L)s",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.error_log.read_text()[-2000:]}")
            try:
                if requests.get(self.base_url + "/healthz", timeout=2).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def kill_one_worker(self) -> int | None:
        pids = self.worker_pids()
        if not pids:
            return None
        pid = random.choice(pids)
        os.kill(pid, signal.SIGKILL)  # a worker of the gunicorn this script started
        return pid

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def tracebacks(self) -> list[str]:
        """The "Internal Server Error" records of gunicorn's log, with their traceback."""
        try:
            lines = self.error_log.read_text(errors="replace").splitlines()
        except OSError:
            return []
        blocks: list[list[str]] = []
        current: list[str] | None = None
        for line in lines:
            if "Internal Server Error" in line:
                if current:
                    blocks.append(current)
                current = [line]
            elif current is not None and (LOG_RECORD.match(line) or line.startswith("[")):
                blocks.append(current)  # the next request's log record, or gunicorn's own
                current = None
            elif current is not None:
                current.append(line)
        if current:
            blocks.append(current)
        return ["\n".join(block).rstrip() for block in blocks]


# --- the shared world the clients act on ------------------------------------------------


@dataclass
class World:
    """Ids the clients learnt from responses, shared so that they collide on purpose."""

    customers: list[int] = field(default_factory=list)
    products: list[int] = field(default_factory=list)
    staff: list[dict] = field(default_factory=list)
    tickets: list[int] = field(default_factory=list)
    tasks: list[int] = field(default_factory=list)
    teams: list[int] = field(default_factory=list)
    draft_orders: list[int] = field(default_factory=list)
    sale_orders: list[int] = field(default_factory=list)
    order_lines: list[int] = field(default_factory=list)
    draft_invoices: list[int] = field(default_factory=list)
    posted_invoices: list[int] = field(default_factory=list)
    entries: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, value: int, *, keep: int = 200) -> None:
        with self.lock:
            values = getattr(self, name)
            if value not in values:
                values.append(value)
                del values[:-keep]

    def drop(self, name: str, value: int) -> None:
        with self.lock:
            values = getattr(self, name)
            if value in values:
                values.remove(value)

    def pick(self, name: str, rng: random.Random, *, recent: int = 12) -> int | None:
        """One of the most recent ids (so that several clients work on the same rows)."""
        with self.lock:
            values = getattr(self, name)[-recent:]
            return rng.choice(values) if values else None

    def add_entry(self, employee: int, entry: int) -> None:
        with self.lock:
            self.entries[employee].append(entry)
            del self.entries[employee][:-100]

    def pick_entry(self, rng: random.Random, employee: int | None = None) -> int | None:
        with self.lock:
            pool = (
                self.entries.get(employee, [])
                if employee is not None
                else [e for entries in self.entries.values() for e in entries[-10:]]
            )
            return rng.choice(pool[-30:]) if pool else None

    def forget_entry(self, entry: int) -> None:
        with self.lock:
            for entries in self.entries.values():
                if entry in entries:
                    entries.remove(entry)


class Budget:
    """At most `requests` requests and `seconds` of load, shared by every client."""

    def __init__(self, *, requests_max: int, seconds: float):
        self.left = requests_max
        self.deadline = time.monotonic() + seconds
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0 or time.monotonic() >= self.deadline:
                return False
            self.left -= 1
            return True


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_status: Counter = Counter()
        self.by_operation: dict[str, Counter] = defaultdict(Counter)
        self.connection_errors: Counter = Counter()
        self.server_errors: dict[str, list[str]] = defaultdict(list)

    def record(self, operation: str, status: int | str, detail: str = "") -> None:
        with self.lock:
            self.by_status[status] += 1
            self.by_operation[operation][status] += 1
            if status == "connection error":
                self.connection_errors[operation] += 1
            if isinstance(status, int) and status >= 500 and len(self.server_errors[operation]) < 3:
                self.server_errors[operation].append(detail)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def http_500(self) -> int:
        return sum(n for s, n in self.by_status.items() if isinstance(s, int) and s >= 500)


# --- the clients -------------------------------------------------------------------------


class Stop(Exception):
    """The budget is spent."""


class Client(threading.Thread):
    def __init__(
        self,
        *,
        number: int,
        account: dict,
        base_url: str,
        world: World,
        budget: Budget,
        stats: Stats,
        seed: int,
        malformed: float,
    ):
        super().__init__(name=f"client-{number}", daemon=True)
        self.account = account
        self.base_url = base_url
        self.world = world
        self.budget = budget
        self.stats = stats
        self.rng = random.Random(seed)
        self.malformed = malformed
        self.session = requests.Session()
        origin = base_url.replace("http://", "https://", 1)
        self.session.headers.update({"X-Forwarded-Proto": "https", "Origin": origin})
        self.api_headers = {"Authorization": f"Token {account['token']}"}
        # Every third client also uses the pages; the others only the API (a login costs
        # a PBKDF2 hash, about a second of a core: it would crowd out the load itself).
        self.uses_pages = number % 3 == 0
        self.logged_in = False
        self.failure: BaseException | None = None

    # -- HTTP

    def call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        body=None,
        raw: str | None = None,
        form: dict | None = None,
        api: bool = True,
        headers: dict | None = None,
    ) -> requests.Response | None:
        if not self.budget.take():
            raise Stop
        request_headers = dict(self.api_headers if api else {})
        request_headers.update(headers or {})
        kwargs: dict = {"headers": request_headers, "timeout": 60, "allow_redirects": False}
        if raw is not None:
            kwargs["data"] = raw.encode()
            request_headers["Content-Type"] = "application/json"
        elif body is not None:
            kwargs["json"] = body
        elif form is not None:
            kwargs["data"] = form
        try:
            response = self.session.request(method, self.base_url + path, **kwargs)
        except CONNECTION_ERRORS:
            self.stats.record(operation, "connection error")
            return None
        if not api:
            # The production cookies are Secure; requests would keep them off plain http
            # (it merges the jar into a fresh one with the default policy per request).
            # Pages are never sent concurrently by one client, so the jar is ours here.
            for cookie in self.session.cookies:
                cookie.secure = False
        detail = ""
        if response.status_code >= 500:
            sent = raw if raw is not None else json.dumps(body if body is not None else form)
            detail = f"{method} {path} {sent[:300]} -> {response.status_code}"
        self.stats.record(operation, response.status_code, detail)
        return response

    @staticmethod
    def data(response: requests.Response | None) -> dict:
        if response is None or not response.headers.get("Content-Type", "").startswith(
            "application/json"
        ):
            return {}
        try:
            value = response.json()
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def csrf(self) -> str:
        return self.session.cookies.get("csrftoken", "")

    def login(self) -> bool:
        page = self.call("login page", "GET", "/login/", api=False)
        if page is None or page.status_code != 200:
            return False
        match = CSRF_INPUT.search(page.text)
        form = {
            "username": self.account["username"],
            "password": self.account["password"],
            "csrfmiddlewaretoken": match.group(1) if match else "",
        }
        response = self.call("login", "POST", "/login/", form=form, api=False)
        self.logged_in = response is not None and response.status_code == 302
        return self.logged_in

    def browser(self) -> bool:
        """Whether this client uses the pages (logged in through the login page)."""
        return self.uses_pages and (self.logged_in or self.login())

    # -- the run

    def run(self) -> None:
        staff = self.account["role"] == "staff"
        operations = STAFF_OPERATIONS if staff else MANAGER_OPERATIONS
        malformed = STAFF_MALFORMED if staff else MANAGER_MALFORMED
        names = [name for name, _weight in operations]
        weights = [weight for _name, weight in operations]
        try:
            while True:
                if self.rng.random() < self.malformed:
                    self.rng.choice(malformed)(self)
                    continue
                name = self.rng.choices(names, weights)[0]
                getattr(self, name)()
        except Stop:
            pass
        except BaseException as error:  # a bug in this script: report it, do not hide it
            self.failure = error

    # -- helpers

    def today(self) -> dt.date:
        return dt.date.today()

    def recent_day(self, days: int = 20) -> str:
        return (self.today() - dt.timedelta(days=self.rng.randrange(days))).isoformat()

    def remember_order(self, order: dict) -> None:
        if not order.get("id"):
            return
        if order.get("state") == "draft":
            self.world.add("draft_orders", order["id"])
        elif order.get("state") == "sale":
            self.world.drop("draft_orders", order["id"])
            self.world.add("sale_orders", order["id"])
        else:
            self.world.drop("draft_orders", order["id"])
            self.world.drop("sale_orders", order["id"])
        for line in order.get("lines", []):
            self.world.add("order_lines", line["id"])
            if line.get("task"):
                self.world.add("tasks", line["task"])

    def remember_invoice(self, invoice: dict) -> None:
        if not invoice.get("id"):
            return
        pk = invoice["id"]
        if invoice.get("type") == "credit_note":
            return
        if invoice.get("state") == "draft":
            self.world.add("draft_invoices", pk)
        elif invoice.get("state") == "posted":
            self.world.drop("draft_invoices", pk)
            self.world.add("posted_invoices", pk)
        else:
            self.world.drop("draft_invoices", pk)

    # -- staff: time

    def api_log_time(self) -> None:
        body = {
            "date": self.recent_day(),
            "minutes": self.rng.choice((5, 15, 30, 45, 60, 90, 120, 240)),
            "description": "load test",
        }
        task = self.world.pick("tasks", self.rng, recent=30)
        ticket = self.world.pick("tickets", self.rng, recent=30)
        if task and (ticket is None or self.rng.random() < 0.3):
            body["task"] = task
        elif ticket:
            body["ticket"] = ticket
        else:
            return
        entry = self.data(self.call("api: log time", "POST", f"{API}/timesheets/", body=body))
        if entry.get("id"):
            self.world.add_entry(self.account["id"], entry["id"])

    def api_edit_entry(self) -> None:
        entry = self.world.pick_entry(self.rng, self.account["id"])
        if entry is None:
            return self.api_log_time()
        change = self.rng.choice(
            (
                {"minutes": self.rng.choice((10, 20, 60, 300))},
                {"date": self.recent_day()},
                {"description": "edited by the load test"},
            )
        )
        self.call("api: edit entry", "PATCH", f"{API}/timesheets/{entry}/", body=change)

    def api_delete_entry(self) -> None:
        entry = self.world.pick_entry(self.rng, self.account["id"])
        if entry is None:
            return self.api_log_time()
        response = self.call("api: delete entry", "DELETE", f"{API}/timesheets/{entry}/")
        if response is not None and response.status_code in (204, 404):
            self.world.forget_entry(entry)

    def page_log_time(self) -> None:
        ticket = self.world.pick("tickets", self.rng, recent=30)
        if ticket is None or not self.browser():
            return self.api_log_time()
        form = {
            "date": self.recent_day(),
            "duration": self.rng.choice(("0:05", "0:30", "1:15", "2")),
            "description": "page load test",
            "employee": str(self.account["id"]),
            "csrfmiddlewaretoken": self.csrf(),
        }
        self.call(
            "page: log time",
            "POST",
            f"/timesheets/ticket/{ticket}/add/",
            form=form,
            api=False,
            headers={"HX-Request": "true"},
        )

    def page_edit_entry(self) -> None:
        entry = self.world.pick_entry(self.rng, self.account["id"])
        ticket = self.world.pick("tickets", self.rng, recent=30)
        if entry is None or ticket is None or not self.browser():
            return self.api_edit_entry()
        kind = self.rng.choice(("edit", "delete"))
        form = {
            "date": self.recent_day(),
            "duration": self.rng.choice(("0:10", "1:00")),
            "description": "page edit",
            "employee": str(self.account["id"]),
            "csrfmiddlewaretoken": self.csrf(),
        }
        # The entry may sit on another ticket: the page then answers 404, as it should.
        self.call(
            f"page: {kind} entry",
            "POST",
            f"/timesheets/ticket/{ticket}/{entry}/{kind}/",
            form=form,
            api=False,
            headers={"HX-Request": "true"},
        )

    def page_view(self) -> None:
        if not self.browser():
            ticket = self.world.pick("tickets", self.rng, recent=50) or 1
            self.call("api: read ticket", "GET", f"{API}/tickets/{ticket}/")
            return
        ticket = self.world.pick("tickets", self.rng, recent=50)
        path = self.rng.choice(
            (
                "/helpdesk/",
                f"/helpdesk/tickets/{ticket}/" if ticket else "/helpdesk/tickets/",
                f"/timesheets/ticket/{ticket}/" if ticket else "/timesheets/",
                "/timesheets/",
                "/",
            )
        )
        self.call("page: view", "GET", path, api=False)

    def api_create_ticket(self) -> None:
        team, customer = self.world.pick("teams", self.rng), self.world.pick("customers", self.rng)
        if team is None or customer is None:
            return
        body = {"team": team, "customer": customer, "subject": "Load test ticket"}
        ticket = self.data(self.call("api: create ticket", "POST", f"{API}/tickets/", body=body))
        if ticket.get("id"):
            self.world.add("tickets", ticket["id"], keep=400)

    # -- managers: orders and invoices

    def api_create_order(self) -> None:
        customer = self.world.pick("customers", self.rng)
        if customer is None or not self.world.products:
            return
        lines = [
            {
                "product": self.rng.choice(self.world.products),
                "quantity": str(self.rng.choice((1, 2, 5, 10, 20))),
            }
            for _ in range(self.rng.randint(1, 3))
        ]
        body = {"customer": customer, "lines": lines, "note": "load test"}
        order = self.data(self.call("api: create order", "POST", f"{API}/orders/", body=body))
        self.remember_order(order)

    def api_confirm_order(self) -> None:
        order = self.world.pick("draft_orders", self.rng) or self.world.pick(
            "sale_orders", self.rng
        )
        if order is None:
            return self.api_create_order()
        response = self.call("api: confirm order", "POST", f"{API}/orders/{order}/confirm/")
        self.remember_order(self.data(response))

    def api_add_line(self) -> None:
        order = self.world.pick("sale_orders", self.rng) or self.world.pick(
            "draft_orders", self.rng
        )
        if order is None or not self.world.products:
            return
        body = {"product": self.rng.choice(self.world.products), "quantity": "3"}
        line = self.data(
            self.call("api: add line", "POST", f"{API}/orders/{order}/lines/", body=body)
        )
        if line.get("id"):
            self.world.add("order_lines", line["id"])
            if line.get("task"):
                self.world.add("tasks", line["task"])

    def api_edit_line(self) -> None:
        line = self.world.pick("order_lines", self.rng, recent=30)
        if line is None:
            return
        body = self.rng.choice(({"quantity": "7"}, {"price_unit": "80.00"}, {"description": "x"}))
        self.call("api: edit line", "PATCH", f"{API}/order-lines/{line}/", body=body)

    def api_create_invoice(self) -> None:
        order = self.world.pick("sale_orders", self.rng)
        if order is None:
            return self.api_confirm_order()
        body = self.rng.choice(({}, {"up_to": self.recent_day(5)}))
        response = self.call(
            "api: create invoice", "POST", f"{API}/orders/{order}/create-invoice/", body=body
        )
        self.remember_invoice(self.data(response))

    def api_validate_invoice(self) -> None:
        invoice = self.world.pick("draft_invoices", self.rng)
        if invoice is None:
            return self.api_create_invoice()
        body = self.rng.choice(({}, {}, {"invoice_date": self.today().isoformat()}))
        response = self.call(
            "api: validate invoice", "POST", f"{API}/invoices/{invoice}/validate/", body=body
        )
        self.remember_invoice(self.data(response))

    def api_cancel_invoice(self) -> None:
        invoice = self.world.pick("draft_invoices", self.rng)
        if invoice is None:
            return
        response = self.call("api: cancel invoice", "POST", f"{API}/invoices/{invoice}/cancel/")
        self.remember_invoice(self.data(response))

    def api_credit_invoice(self) -> None:
        invoice = self.world.pick("posted_invoices", self.rng)
        if invoice is None:
            return self.api_validate_invoice()
        self.call("api: credit note", "POST", f"{API}/invoices/{invoice}/credit-note/", body={})

    def api_register_payment(self) -> None:
        invoice = self.world.pick("posted_invoices", self.rng)
        if invoice is None:
            return self.api_validate_invoice()
        current = self.data(self.call("api: read invoice", "GET", f"{API}/invoices/{invoice}/"))
        due = Decimal(current.get("amount_due") or "0")
        if due <= 0:
            return
        amount = self.rng.choice((due, (due / 2).quantize(Decimal("0.01")), Decimal("10.00")))
        body = {"amount": str(max(amount, Decimal("0.01"))), "reference": "load test"}
        # Sometimes twice at once: the second must be refused (overpayment), not doubled.
        repeat = self.rng.random() < 0.3
        threads = []
        if repeat:
            twin = threading.Thread(target=self._payment_twin, args=(invoice, body), daemon=True)
            twin.start()
            threads.append(twin)
        self.call("api: payment", "POST", f"{API}/invoices/{invoice}/payments/", body=body)
        for thread in threads:
            thread.join(timeout=90)

    def _payment_twin(self, invoice: int, body: dict) -> None:
        with contextlib.suppress(Stop):
            self.call(
                "api: payment (twin)", "POST", f"{API}/invoices/{invoice}/payments/", body=body
            )

    def together(self, *calls) -> None:
        """Send these calls at the same moment, each (but the last) from its own thread."""
        barrier = threading.Barrier(len(calls))

        def send(call) -> None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=10)
            with contextlib.suppress(Stop):
                call()

        threads = [threading.Thread(target=send, args=(c,), daemon=True) for c in calls[:-1]]
        for thread in threads:
            thread.start()
        send(calls[-1])
        for thread in threads:
            thread.join(timeout=90)

    def race_cancel_vs_invoice(self) -> None:
        """Cancel an order while its invoice is being created: one of them must lose."""
        order = self.world.pick("sale_orders", self.rng)
        if order is None:
            return self.api_create_order()
        self.together(
            lambda: self.call("race: cancel order", "POST", f"{API}/orders/{order}/cancel/"),
            lambda: self.remember_invoice(
                self.data(
                    self.call(
                        "race: create invoice",
                        "POST",
                        f"{API}/orders/{order}/create-invoice/",
                        body={},
                    )
                )
            ),
        )

    def race_validate_twice(self) -> None:
        """Two validations of one draft at once: one number, no gap."""
        invoice = self.world.pick("draft_invoices", self.rng)
        if invoice is None:
            return self.api_create_invoice()
        path = f"{API}/invoices/{invoice}/validate/"
        self.together(
            lambda: self.call("race: validate", "POST", path, body={}),
            lambda: self.call("race: validate", "POST", path, body={}),
            lambda: self.remember_invoice(
                self.data(self.call("race: validate", "POST", path, body={}))
            ),
        )

    def race_log_same_day(self) -> None:
        """Several long entries for one person, one day and one ticket at once: the day's
        24 hours must hold, and no deadlock may surface as an error."""
        if not self.world.staff:
            return
        employee = self.rng.choice(self.world.staff)["id"]
        tickets = [self.world.pick("tickets", self.rng, recent=30) for _ in range(3)]
        day = self.recent_day(3)

        def log(ticket) -> None:
            body = {"user": employee, "ticket": ticket, "date": day, "minutes": 500}
            entry = self.data(
                self.call("race: log same day", "POST", f"{API}/timesheets/", body=body)
            )
            if entry.get("id"):
                self.world.add_entry(employee, entry["id"])

        self.together(*[lambda t=t: log(t) for t in tickets if t])

    def huge_order_flow(self) -> None:
        """The largest quantity and price each field takes: confirm, invoice, validate."""
        customer = self.world.pick("customers", self.rng)
        if customer is None or not self.world.products:
            return
        line = {
            "product": self.rng.choice(self.world.products),
            "quantity": "9999999999.99",
            "price_unit": "9999999999.99",
        }
        order = self.data(
            self.call(
                "huge: create order",
                "POST",
                f"{API}/orders/",
                body={"customer": customer, "lines": [line]},
            )
        )
        if not order.get("id"):
            return
        self.call("huge: confirm", "POST", f"{API}/orders/{order['id']}/confirm/")
        invoice = self.data(
            self.call(
                "huge: create invoice",
                "POST",
                f"{API}/orders/{order['id']}/create-invoice/",
                body={},
            )
        )
        if invoice.get("id"):
            self.call(
                "huge: validate", "POST", f"{API}/invoices/{invoice['id']}/validate/", body={}
            )

    def api_cancel_order(self) -> None:
        order = self.world.pick("sale_orders", self.rng) or self.world.pick(
            "draft_orders", self.rng
        )
        if order is None:
            return
        response = self.call("api: cancel order", "POST", f"{API}/orders/{order}/cancel/")
        self.remember_order(self.data(response))

    def api_billing_run(self) -> None:
        body = {"up_to": self.recent_day(3)}
        response = self.call("api: billing run", "POST", f"{API}/invoices/invoice-all/", body=body)
        if response is not None and response.status_code == 201:
            try:
                for invoice in response.json():
                    self.remember_invoice(invoice)
            except ValueError:
                pass

    def api_log_for_staff(self) -> None:
        """A Manager logs a long stretch for someone: days fill up to 24 h and beyond."""
        if not self.world.staff:
            return
        employee = self.rng.choice(self.world.staff)
        ticket = self.world.pick("tickets", self.rng, recent=30)
        if ticket is None:
            return
        body = {
            "user": employee["id"],
            "ticket": ticket,
            "date": self.recent_day(3),
            "minutes": self.rng.choice((240, 480, 600)),
        }
        entry = self.data(self.call("api: log for staff", "POST", f"{API}/timesheets/", body=body))
        if entry.get("id"):
            self.world.add_entry(employee["id"], entry["id"])

    def api_lists(self) -> None:
        path = self.rng.choice(
            (
                f"{API}/invoices/?state=draft&page_size=50",
                f"{API}/invoices/?state=posted",
                f"{API}/orders/?state=sale",
                f"{API}/timesheets/?page_size=100",
                f"{API}/order-lines/?page_size=100",
            )
        )
        listing = self.data(self.call("api: lists", "GET", path))
        for row in listing.get("results", []):
            if "/invoices/" in path:
                self.remember_invoice(row)
            elif "/orders/" in path:
                self.remember_order(row)

    def manager_pages(self) -> None:
        if not self.browser():
            return self.api_lists()
        order = self.world.pick("sale_orders", self.rng)
        invoice = self.world.pick("posted_invoices", self.rng)
        path = self.rng.choice(
            (
                "/sales/",
                "/invoicing/",
                f"/sales/{order}/" if order else "/sales/",
                f"/invoicing/{invoice}/" if invoice else "/invoicing/",
                "/helpdesk/",
                "/timesheets/all/",
            )
        )
        self.call("page: manager view", "GET", path, api=False)


STAFF_OPERATIONS = [
    ("api_log_time", 30),
    ("api_edit_entry", 10),
    ("api_delete_entry", 6),
    ("page_log_time", 8),
    ("page_edit_entry", 4),
    ("page_view", 8),
    ("api_create_ticket", 2),
]
MANAGER_OPERATIONS = [
    ("api_create_order", 8),
    ("api_confirm_order", 8),
    ("api_add_line", 3),
    ("api_edit_line", 3),
    ("api_create_invoice", 12),
    ("api_validate_invoice", 10),
    ("api_cancel_invoice", 3),
    ("api_credit_invoice", 4),
    ("api_register_payment", 8),
    ("api_cancel_order", 4),
    ("api_billing_run", 1),
    ("api_log_for_staff", 4),
    ("race_cancel_vs_invoice", 3),
    ("race_validate_twice", 3),
    ("race_log_same_day", 3),
    ("huge_order_flow", 1),
    ("api_lists", 5),
    ("manager_pages", 4),
]


# --- malformed requests --------------------------------------------------------------------

HUGE = "9" * 40
BAD_DATES = ("9999-12-31", "0001-01-01", "2026-02-30", "tomorrow", "", "2026-13-01", "1e9")
BAD_NUMBERS = (
    HUGE,
    "-1",
    "0",
    "NaN",
    "Infinity",
    "1e400",
    "0.001",
    "abc",
    -(2**70),
    2**70,
    None,
    [],
)
BAD_IDS = ("0", "-1", HUGE, "abc", "1.5", "%00")


def bad_timesheet(client: Client) -> None:
    body = {
        "ticket": client.world.pick("tickets", client.rng) or 1,
        "date": client.rng.choice((*BAD_DATES, client.recent_day())),
        "minutes": client.rng.choice((*BAD_NUMBERS, 1441, 100000, 60)),
    }
    if client.rng.random() < 0.3:
        body["ticket"] = client.rng.choice((HUGE, -5, "x", 2**63, None))
    client.call("bad: timesheet", "POST", f"{API}/timesheets/", body=body)


def bad_timesheet_patch(client: Client) -> None:
    entry = client.world.pick_entry(client.rng) or 1
    body = client.rng.choice(
        (
            {"minutes": client.rng.choice(BAD_NUMBERS)},
            {"date": client.rng.choice(BAD_DATES)},
            {"ticket": HUGE},
            {"user": HUGE},
            {"task": -1},
        )
    )
    client.call("bad: edit entry", "PATCH", f"{API}/timesheets/{entry}/", body=body)


def bad_order(client: Client) -> None:
    product = client.rng.choice(client.world.products or [1])
    line = {"product": product, "quantity": client.rng.choice(BAD_NUMBERS)}
    if client.rng.random() < 0.4:
        line["price_unit"] = client.rng.choice((HUGE, "-5", "1e30", "1.234"))
    if client.rng.random() < 0.3:
        line["tax_rate"] = client.rng.choice((HUGE, "-5", "1000"))
    body = {
        "customer": client.rng.choice((client.world.pick("customers", client.rng) or 1, HUGE, "x")),
        "lines": client.rng.choice(([line], "lines", [None], [[]])),
        "date_order": client.rng.choice((*BAD_DATES, None)),
    }
    client.call("bad: create order", "POST", f"{API}/orders/", body=body)


def bad_invoice_period(client: Client) -> None:
    order = client.world.pick("sale_orders", client.rng) or 1
    body = client.rng.choice(
        (
            {"up_to": client.rng.choice(BAD_DATES)},
            {"period_start": "2026-12-31", "period_end": "2026-01-01"},
            {"period_start": "0001-01-01", "period_end": "9999-12-31"},
            {"up_to": "3000-01-01"},
        )
    )
    client.call("bad: create invoice", "POST", f"{API}/orders/{order}/create-invoice/", body=body)


def bad_validate(client: Client) -> None:
    invoice = client.world.pick("draft_invoices", client.rng) or 1
    body = {"invoice_date": client.rng.choice((*BAD_DATES, "2999-01-01", "1970-01-01"))}
    client.call("bad: validate invoice", "POST", f"{API}/invoices/{invoice}/validate/", body=body)


def bad_payment(client: Client) -> None:
    invoice = client.world.pick("posted_invoices", client.rng) or 1
    body = {
        "amount": client.rng.choice(BAD_NUMBERS),
        "date": client.rng.choice((*BAD_DATES, None)),
        "method": client.rng.choice(("bank", "bitcoin", "", None)),
        "reference": client.rng.choice(("", "x" * 5000)),
    }
    client.call("bad: payment", "POST", f"{API}/invoices/{invoice}/payments/", body=body)


def bad_credit(client: Client) -> None:
    invoice = client.world.pick("posted_invoices", client.rng) or 1
    body = {"lines": client.rng.choice(([HUGE], ["x"], [-1], "all", [None]))}
    client.call("bad: credit note", "POST", f"{API}/invoices/{invoice}/credit-note/", body=body)


def bad_json(client: Client) -> None:
    path = client.rng.choice(
        (f"{API}/timesheets/", f"{API}/orders/", f"{API}/invoices/invoice-all/", f"{API}/tickets/")
    )
    raw = client.rng.choice(("{", "[1, 2", '{"date": }', "null", '"text"', "[]", "\x00", "{" * 500))
    client.call("bad: broken json", "POST", path, raw=raw)


def bad_ids(client: Client) -> None:
    pk = client.rng.choice(BAD_IDS)
    method, path = client.rng.choice(
        (
            ("POST", f"{API}/orders/{pk}/confirm/"),
            ("POST", f"{API}/invoices/{pk}/validate/"),
            ("GET", f"{API}/invoices/{pk}/"),
            ("DELETE", f"{API}/timesheets/{pk}/"),
            ("PATCH", f"{API}/order-lines/{pk}/"),
        )
    )
    client.call("bad: ids", method, path, body={})


def bad_query(client: Client) -> None:
    paths = [
        f"{API}/timesheets/?date_from=2026-02-30",
        f"{API}/timesheets/?user={HUGE}",
        f"{API}/tickets/?page=999999999",
        f"{API}/tickets/?page_size=-1&team=abc",
    ]
    if client.account["role"] == "manager":
        paths += [
            f"{API}/invoices/?page=999999999",
            f"{API}/invoices/?page_size=-1",
            f"{API}/orders/?customer=abc",
            f"{API}/orders/?state=nonsense",
        ]
    path = client.rng.choice(paths)
    client.call("bad: query", "GET", path)


def bad_billing_run(client: Client) -> None:
    body = {"up_to": client.rng.choice((*BAD_DATES, None))}
    client.call("bad: billing run", "POST", f"{API}/invoices/invoice-all/", body=body)


def bad_page_entry(client: Client) -> None:
    ticket = client.world.pick("tickets", client.rng)
    if ticket is None or not client.browser():
        return bad_timesheet(client)
    form = {
        "date": client.rng.choice(BAD_DATES),
        "duration": client.rng.choice(("999:99", "-1", "abc", "25:00", "1e9", HUGE)),
        "employee": client.rng.choice((str(client.account["id"]), HUGE, "x")),
        "csrfmiddlewaretoken": client.csrf(),
    }
    client.call(
        "bad: page entry",
        "POST",
        f"/timesheets/ticket/{ticket}/add/",
        form=form,
        api=False,
        headers={"HX-Request": "true"},
    )


def bad_page_query(client: Client) -> None:
    if not client.browser():
        return bad_query(client)
    path = client.rng.choice(
        (
            "/helpdesk/?week=9999-12-31",
            "/helpdesk/tickets/?page=99999999999999999999",
            f"/helpdesk/tickets/?team={HUGE}",
            "/timesheets/?week=0000-00-00",
            "/timesheets/all/?date_from=2026-02-30",
            f"/helpdesk/tickets/{HUGE}/",
        )
    )
    client.call("bad: page query", "GET", path, api=False)


STAFF_MALFORMED = [
    bad_timesheet,
    bad_timesheet_patch,
    bad_json,
    bad_ids,
    bad_query,
    bad_page_entry,
    bad_page_query,
]
MANAGER_MALFORMED = [
    bad_timesheet,
    bad_order,
    bad_invoice_period,
    bad_validate,
    bad_payment,
    bad_credit,
    bad_json,
    bad_ids,
    bad_query,
    bad_billing_run,
    bad_page_query,
]


# --- the ledger, checked by SQL ------------------------------------------------------------

INVARIANTS: list[tuple[str, str]] = [
    (
        "an order line's delivered minutes are the sum of its entries' minutes",
        """
        SELECT l.id, l.delivered_minutes, COALESCE(e.minutes, 0)
        FROM sales_saleorderline l
        LEFT JOIN (SELECT sale_line_id, SUM(minutes) AS minutes
                   FROM timesheets_timesheetentry GROUP BY sale_line_id) e
               ON e.sale_line_id = l.id
        WHERE l.delivered_minutes <> COALESCE(e.minutes, 0)
        """,
    ),
    (
        "an order line's invoiced quantity is its quantities on invoices that are not "
        "cancelled minus those on posted credit notes",
        """
        SELECT l.id, l.qty_invoiced, COALESCE(i.qty, 0)
        FROM sales_saleorderline l
        LEFT JOIN (
            SELECT il.sale_line_id,
                   SUM(CASE WHEN v.move_type = 'invoice' AND v.state <> 'cancel' THEN il.quantity
                            WHEN v.move_type = 'credit_note' AND v.state = 'posted'
                                 THEN -il.quantity
                            ELSE 0 END) AS qty
            FROM invoicing_invoiceline il JOIN invoicing_invoice v ON v.id = il.invoice_id
            GROUP BY il.sale_line_id) i ON i.sale_line_id = l.id
        WHERE l.qty_invoiced <> COALESCE(i.qty, 0)
        """,
    ),
    (
        "a task's logged minutes are the sum of its entries' minutes",
        """
        SELECT k.id, k.logged_minutes, COALESCE(e.minutes, 0)
        FROM projects_task k
        LEFT JOIN (SELECT task_id, SUM(minutes) AS minutes
                   FROM timesheets_timesheetentry GROUP BY task_id) e ON e.task_id = k.id
        WHERE k.logged_minutes <> COALESCE(e.minutes, 0)
        """,
    ),
    (
        "an entry's order line is its task's order line",
        """
        SELECT e.id, e.sale_line_id, k.sale_line_id
        FROM timesheets_timesheetentry e LEFT JOIN projects_task k ON k.id = e.task_id
        WHERE e.sale_line_id IS DISTINCT FROM k.sale_line_id
        """,
    ),
    (
        "a cancelled order has no draft invoice and nothing invoiced",
        """
        SELECT o.id, o.name
        FROM sales_saleorder o
        WHERE o.state = 'cancel' AND (
            EXISTS (SELECT 1 FROM invoicing_invoice v
                    WHERE v.sale_order_id = o.id AND v.state = 'draft')
            OR EXISTS (
                SELECT 1 FROM invoicing_invoiceline il
                JOIN invoicing_invoice v ON v.id = il.invoice_id
                JOIN sales_saleorderline l ON l.id = il.sale_line_id
                WHERE l.order_id = o.id
                GROUP BY il.sale_line_id
                HAVING SUM(CASE WHEN v.move_type = 'invoice' AND v.state <> 'cancel'
                                THEN il.quantity
                                WHEN v.move_type = 'credit_note' AND v.state = 'posted'
                                THEN -il.quantity ELSE 0 END) <> 0))
        """,
    ),
    (
        "a billed entry's invoice is a live customer invoice, on its own order line, "
        "and its invoice line is not credited",
        """
        SELECT e.id, il.id, v.state, v.move_type
        FROM timesheets_timesheetentry e
        JOIN invoicing_invoiceline il ON il.id = e.invoice_line_id
        JOIN invoicing_invoice v ON v.id = il.invoice_id
        WHERE v.state = 'cancel' OR v.move_type <> 'invoice'
           OR il.sale_line_id IS DISTINCT FROM e.sale_line_id
           OR EXISTS (SELECT 1 FROM invoicing_invoiceline c
                      JOIN invoicing_invoice cv ON cv.id = c.invoice_id
                      WHERE c.reversed_line_id = il.id AND cv.state = 'posted')
        """,
    ),
    (
        "posted numbers are gapless per series and year, and the counter is the last one",
        """
        WITH posted AS (
            SELECT CASE move_type WHEN 'invoice' THEN 'INV' ELSE 'RINV' END AS code,
                   sequence_year AS year, sequence_number AS n, number
            FROM invoicing_invoice WHERE state = 'posted'),
        series AS (
            SELECT code, year, COUNT(*) AS count, COUNT(DISTINCT n) AS distinct_count,
                   MIN(n) AS first, MAX(n) AS last FROM posted GROUP BY code, year)
        SELECT s.code, s.year, s.count, s.first, s.last, q.last_number
        FROM series s LEFT JOIN core_sequence q ON q.code = s.code AND q.year = s.year
        WHERE s.first <> 1 OR s.last <> s.count OR s.distinct_count <> s.count
           OR q.last_number IS DISTINCT FROM s.last
        UNION ALL
        SELECT code, year, NULL, n, NULL, NULL FROM posted
        WHERE number IS DISTINCT FROM code || '/' || year || '/' || LPAD(n::text, 5, '0')
        """,
    ),
    (
        "a counter never runs ahead of its posted invoices",
        """
        SELECT q.code, q.year, q.last_number
        FROM core_sequence q
        WHERE q.code IN ('INV', 'RINV') AND q.last_number > 0 AND NOT EXISTS (
            SELECT 1 FROM invoicing_invoice v
            WHERE v.state = 'posted' AND v.sequence_year = q.year
              AND v.sequence_number = q.last_number
              AND v.move_type = CASE q.code WHEN 'INV' THEN 'invoice' ELSE 'credit_note' END)
        """,
    ),
    (
        "an invoice's totals are the sums of its lines, and each line's amounts add up",
        """
        SELECT v.id, v.amount_untaxed, v.amount_tax, v.amount_total
        FROM invoicing_invoice v
        LEFT JOIN (SELECT invoice_id, SUM(amount_untaxed) AS untaxed, SUM(amount_tax) AS tax
                   FROM invoicing_invoiceline GROUP BY invoice_id) s ON s.invoice_id = v.id
        WHERE v.amount_untaxed <> COALESCE(s.untaxed, 0)
           OR v.amount_tax <> COALESCE(s.tax, 0)
           OR v.amount_total <> v.amount_untaxed + v.amount_tax
           OR EXISTS (SELECT 1 FROM invoicing_invoiceline il WHERE il.invoice_id = v.id
                      AND il.amount_total <> il.amount_untaxed + il.amount_tax)
        """,
    ),
    (
        "payments only on posted customer invoices, never more than the total, amount "
        "paid is their sum",
        """
        SELECT v.id, v.state, v.move_type, v.amount_total, v.amount_paid, COALESCE(p.paid, 0)
        FROM invoicing_invoice v
        LEFT JOIN (SELECT invoice_id, SUM(amount) AS paid, COUNT(*) AS count
                   FROM invoicing_payment GROUP BY invoice_id) p ON p.invoice_id = v.id
        WHERE (p.count > 0 AND (v.state <> 'posted' OR v.move_type <> 'invoice'))
           OR (v.move_type = 'invoice' AND v.amount_paid <> COALESCE(p.paid, 0))
           OR COALESCE(p.paid, 0) > v.amount_total
           OR EXISTS (SELECT 1 FROM invoicing_payment x WHERE x.invoice_id = v.id
                      AND x.amount <= 0)
        """,
    ),
    (
        "a posted invoice's amount due and payment state follow its payments and credit notes",
        """
        WITH figures AS (
            SELECT v.id, v.amount_total, v.amount_due, v.payment_state,
                   COALESCE((SELECT SUM(amount) FROM invoicing_payment p
                             WHERE p.invoice_id = v.id), 0) AS paid,
                   COALESCE((SELECT SUM(c.amount_total) FROM invoicing_invoice c
                             WHERE c.reversed_invoice_id = v.id AND c.state = 'posted'), 0)
                       AS credited,
                   NOT EXISTS (
                       SELECT 1 FROM invoicing_invoiceline il WHERE il.invoice_id = v.id
                       AND NOT EXISTS (
                           SELECT 1 FROM invoicing_invoiceline c
                           JOIN invoicing_invoice cv ON cv.id = c.invoice_id
                           WHERE c.reversed_line_id = il.id AND cv.state = 'posted'))
                   AND EXISTS (SELECT 1 FROM invoicing_invoiceline il
                               WHERE il.invoice_id = v.id) AS fully_credited
            FROM invoicing_invoice v
            WHERE v.state = 'posted' AND v.move_type = 'invoice')
        SELECT id, amount_total, amount_due, payment_state, paid, credited
        FROM figures
        WHERE amount_due <> GREATEST(amount_total - paid - credited, 0)
           OR payment_state <> CASE
                WHEN fully_credited THEN 'reversed'
                WHEN GREATEST(amount_total - paid - credited, 0) = 0 THEN 'paid'
                WHEN paid > 0 OR credited > 0 THEN 'partial'
                ELSE 'not_paid' END
        """,
    ),
    (
        "nobody has more than 24 hours (1440 minutes) on one day",
        """
        SELECT employee_id, date, SUM(minutes)
        FROM timesheets_timesheetentry
        GROUP BY employee_id, date HAVING SUM(minutes) > 1440
        """,
    ),
    (
        "an entry lasts 1 to 1440 minutes",
        "SELECT id, minutes FROM timesheets_timesheetentry WHERE minutes < 1 OR minutes > 1440",
    ),
]


def check_invariants(database_url: str) -> dict[str, list[tuple]]:
    breaches: dict[str, list[tuple]] = {}
    conninfo = database_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(conninfo) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # one snapshot
        for name, query in INVARIANTS:
            rows = conn.execute(query).fetchall()
            if rows:
                breaches[name] = rows
    return breaches


def ledger_size(database_url: str) -> dict[str, int]:
    conninfo = database_url.replace("postgres://", "postgresql://", 1)
    tables = {
        "entries": "timesheets_timesheetentry",
        "orders": "sales_saleorder",
        "invoices": "invoicing_invoice",
        "payments": "invoicing_payment",
    }
    with psycopg.connect(conninfo) as conn:
        return {
            name: conn.execute(
                sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
            for name, table in tables.items()
        }


# --- putting it together -------------------------------------------------------------------


def prepare(stack: Stack, *, staff: int, managers: int) -> tuple[list[dict], World]:
    log("migrate, collectstatic, seed_demo")
    stack.manage("migrate", "--noinput", "-v0")
    stack.manage("collectstatic", "--noinput", "-v0")
    stack.manage("seed_demo")
    accounts = [
        {"username": f"load.staff{i:02d}", "password": secrets.token_urlsafe(12), "role": "staff"}
        for i in range(staff)
    ] + [
        {
            "username": f"load.manager{i:02d}",
            "password": secrets.token_urlsafe(12),
            "role": "manager",
        }
        for i in range(managers)
    ]
    output = stack.manage("shell", "-c", SETUP_ACCOUNTS.format(accounts=json.dumps(accounts)))
    line = next(row for row in output.splitlines() if row.startswith("ACCOUNTS="))
    return json.loads(line.removeprefix("ACCOUNTS=")), World()


def discover(stack: Stack, world: World, manager: dict) -> None:
    """What the demo data holds, read through the API like any integration would."""
    headers = {"Authorization": f"Token {manager['token']}"}

    def rows(path: str) -> list[dict]:
        response = requests.get(stack.base_url + path, headers=headers, timeout=60)
        response.raise_for_status()
        body = response.json()
        return body.get("results", body) if isinstance(body, dict) else body

    world.customers = [row["id"] for row in rows(f"{API}/customers/?page_size=200")]
    world.products = [
        row["id"]
        for row in rows(f"{API}/products/?page_size=200")
        if row.get("service_tracking", "task") != "no" and row.get("active", True)
    ]
    world.teams = [row["id"] for row in rows(f"{API}/teams/?page_size=200")]
    world.tickets = [row["id"] for row in rows(f"{API}/tickets/?page_size=200")]
    world.tasks = [row["id"] for row in rows(f"{API}/tasks/?page_size=200") if row["sale_line"]]
    for order in rows(f"{API}/orders/?page_size=200"):
        if order["state"] == "sale":
            world.sale_orders.append(order["id"])
        elif order["state"] == "draft":
            world.draft_orders.append(order["id"])
    for invoice in rows(f"{API}/invoices/?page_size=200"):
        if invoice["type"] == "invoice" and invoice["state"] == "draft":
            world.draft_invoices.append(invoice["id"])
        elif invoice["type"] == "invoice" and invoice["state"] == "posted":
            world.posted_invoices.append(invoice["id"])


def short_traceback(block: str) -> tuple[str, str]:
    """(the error, the request line + the project's own frames + the error lines)."""
    lines = block.splitlines()
    keep = lines[:1]
    error_at = len(lines)
    for i, line in enumerate(lines):
        if line.startswith("  File ") and "site-packages" not in line and "/lib/python" not in line:
            keep += lines[i : i + 2]
        if (
            i
            and line.strip()
            and not line.startswith((" ", "Traceback", "The above", "During"))
            and lines[i - 1].startswith(" ")
        ):
            error_at = i  # the last exception line after a stack of frames
    tail = lines[error_at : error_at + 6]
    return (tail[0] if tail else lines[-1]), "\n".join(keep + tail)


def report(stats: Stats, stack: Stack, breaches: dict, killed: list[int], size: dict) -> None:
    print()
    print(f"requests: {stats.total}; ledger afterwards: {size}")
    print(
        "by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(stats.by_status.items(), key=str))
    )
    print("by operation:")
    for operation in sorted(stats.by_operation):
        counts = stats.by_operation[operation]
        cells = ", ".join(f"{s}: {n}" for s, n in sorted(counts.items(), key=str))
        print(f"  {operation:<26} {sum(counts.values()):>6}  {cells}")
    if killed:
        print(
            f"killed gunicorn worker(s) {killed} with SIGKILL; connection errors: "
            f"{sum(stats.connection_errors.values())}"
        )
    print(f"HTTP 500: {stats.http_500}")
    if stats.http_500:
        for operation, samples in stats.server_errors.items():
            for sample in samples:
                print(f"  {operation}: {sample}")
        tracebacks = [short_traceback(block) for block in stack.tracebacks()]
        by_error = Counter(error for error, _text in tracebacks)
        print(f"tracebacks in gunicorn's log ({len(tracebacks)}), one per distinct error:")
        shown = set()
        for error, text in tracebacks:
            if error in shown:
                continue
            shown.add(error)
            print(f"  [{by_error[error]}x] " + "\n  ".join(text.splitlines()))
            print("  ---")
    print(f"invariant breaches: {sum(len(rows) for rows in breaches.values())}")
    for name, rows in breaches.items():
        print(f"  BREACH {name}: {len(rows)} row(s), e.g. {rows[:5]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--requests", type=int, default=100_000, help="at most this many")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--kill-worker", action="store_true", help="SIGKILL a worker half-way")
    parser.add_argument("--malformed", type=float, default=0.15, help="share of bad requests")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL URL whose role may create databases (default: DATABASE_URL)",
    )
    parser.add_argument("--database", default=f"billable_blackbox_{os.getpid()}")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    args = parser.parse_args(argv)
    if not args.admin_url.startswith("postgres"):
        print("blackbox_load needs PostgreSQL (--admin-url or DATABASE_URL)", file=sys.stderr)
        return 2
    database_url = with_database(args.admin_url, args.database)
    logdir = Path(tempfile.mkdtemp(prefix="blackbox-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "False",
        "SECURE_SSL_REDIRECT": "False",
        "SECURE_HSTS_SECONDS": "0",
        "CELERY_BROKER_URL": "",  # tasks run in-process after commit (no broker here)
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "MEDIA_ROOT": str(logdir / "media"),
        "AXES_FAILURE_LIMIT": "1000",
        "PYTHONUNBUFFERED": "1",
    }
    stack = Stack(
        python=sys.executable, env=env, port=free_port(), workers=args.workers, logdir=logdir
    )
    staff = max(1, round(args.clients * 0.55))
    managers = max(1, args.clients - staff)
    log(f"database {args.database}, logs in {logdir}")
    try:
        create_database(args.admin_url, args.database)
    except psycopg.Error as error:
        print(f"cannot create the database: {error}", file=sys.stderr)
        return 2
    stats = Stats()
    killed: list[int] = []
    try:
        try:
            accounts, world = prepare(stack, staff=staff, managers=managers)
            stack.start()
            discover(stack, world, next(a for a in accounts if a["role"] == "manager"))
        except (RuntimeError, requests.RequestException, subprocess.TimeoutExpired) as error:
            print(f"set-up failed: {error}", file=sys.stderr)
            return 2
        world.staff = [a for a in accounts if a["role"] == "staff"]
        log(
            f"gunicorn on {stack.base_url} ({args.workers} workers): {staff} staff and "
            f"{managers} manager clients, {args.seconds:g} s or {args.requests} requests"
        )
        budget = Budget(requests_max=args.requests, seconds=args.seconds)
        clients = [
            Client(
                number=i,
                account=account,
                base_url=stack.base_url,
                world=world,
                budget=budget,
                stats=stats,
                seed=args.seed * 1000 + i,
                malformed=args.malformed,
            )
            for i, account in enumerate(accounts)
        ]
        started = time.monotonic()
        for client in clients:
            client.start()
        if args.kill_worker:
            # Half-way: half of the time or half of the requests, whichever comes first.
            while any(c.is_alive() for c in clients):
                half_time = time.monotonic() - started >= args.seconds / 2
                if half_time or stats.total >= args.requests / 2:
                    pid = stack.kill_one_worker()
                    if pid:
                        killed.append(pid)
                        log(f"killed gunicorn worker {pid} after {stats.total} requests")
                    break
                time.sleep(0.2)
        for client in clients:
            client.join(timeout=args.seconds + 180)
        elapsed = time.monotonic() - started
        log(f"{stats.total} requests in {elapsed:.1f} s ({stats.total / elapsed:.1f}/s)")
        failures = [c for c in clients if c.failure is not None or c.is_alive()]
        stack.stop()
        breaches = check_invariants(database_url)
        size = ledger_size(database_url)
        report(stats, stack, breaches, killed, size)
        for client in failures:
            print(f"client {client.name} failed: {client.failure!r}", file=sys.stderr)
        ok = stats.http_500 == 0 and not breaches and not failures and stats.total > 0
        print(f"RESULT: {'PASS' if ok else 'FAIL'}")
        return 0 if ok else 1
    finally:
        stack.stop()
        if not args.keep_db:
            try:
                drop_database(args.admin_url, args.database)
            except psycopg.Error as error:
                log(f"could not drop {args.database}: {error}")


if __name__ == "__main__":
    sys.exit(main())
