"""B7 of issue 7: load on the production stack (gunicorn + PostgreSQL), with locust.

    make serve-prod                   # scripts/serve-prod.sh, on a seeded database:
    DJANGO_SETTINGS_MODULE=config.settings.production ... manage.py seed_demo
    make loadtest                     # 50 users, 60 s, against HOST:PORT (127.0.0.1:8000)

`make loadtest` runs `locust -f scripts/loadtest.py --headless -u 50 -r 10
--host http://$(HOST):$(PORT) --csv b7 --only-summary`; b7_stats.csv has the figures.

The mix per simulated user: 50% ticket view (the ticket page and its Timesheets tab,
as htmx loads it), 20% log time on a ticket (5 minutes on a random day of the last
two years, so no one reaches 24 hours a day), 20% lists (tickets, all timesheets, my
week, projects), 10% orders and invoices (lists and forms). Each user logs in through
the login page with a demo account (LOCUST_ACCOUNTS, default manager:manager).

Logins are not part of the mix: each user logs in through the login page first (one
PBKDF2 hash each, about half a second of CPU), then the statistics are reset and the
mix runs for LOCUST_MEASURE_SECONDS (default 60) before locust stops itself, so the
figures are those of 50 logged-in users for 60 s, not of 50 logins.

The users are FastHttpUser (geventhttpclient), not HttpUser (python-requests): the
load generator shares the machine's cores with gunicorn and PostgreSQL, and requests
costs several times more CPU per request, which the server's figures would pay for.

The production settings mark cookies Secure and redirect plain HTTP to HTTPS, as
behind a TLS proxy. Locust stands in for that proxy: it sends `X-Forwarded-Proto:
https` and the Origin of the HTTPS site, and keeps sending the Secure cookies over
the plain connection to gunicorn (a cookie policy that counts http as secure).
"""

import os
import random
import re
from datetime import date, timedelta
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, events, task

ACCOUNTS = [
    tuple(pair.split(":", 1))
    for pair in os.environ.get("LOCUST_ACCOUNTS", "manager:manager").split(",")
]
WAIT_MIN = float(os.environ.get("LOCUST_WAIT_MIN", "0.1"))
WAIT_MAX = float(os.environ.get("LOCUST_WAIT_MAX", "0.5"))
MEASURE_SECONDS = float(os.environ.get("LOCUST_MEASURE_SECONDS", "60"))
LISTS = ["/helpdesk/tickets/", "/timesheets/all/", "/timesheets/", "/project/"]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
HTMX = {"HX-Request": "true"}

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The entry form's employee <select> (attributes in any order), its selected option.
SELECTED_EMPLOYEE = re.compile(
    r'<select\b[^>]*\bname="employee"[^>]*>.*?<option value="(\d+)" selected', re.DOTALL
)


_logged_in = 0


@events.test_start.add_listener
def _count_from_zero(**kwargs) -> None:
    global _logged_in
    _logged_in = 0


def _user_ready(environment) -> None:
    """Once every user has logged in: reset the figures, measure MEASURE_SECONDS, stop."""
    global _logged_in
    _logged_in += 1
    runner = environment.runner
    if _logged_in == runner.target_user_count:
        environment.stats.reset_all()
        print(f"[loadtest] {_logged_in} users logged in: measuring for {MEASURE_SECONDS:g} s")
        gevent.spawn_later(MEASURE_SECONDS, runner.quit)


def _ids(html: str, prefix: str) -> list[int]:
    return sorted({int(pk) for pk in re.findall(re.escape(prefix) + r"(\d+)/", html)})


class SupportStaff(FastHttpUser):
    wait_time = between(WAIT_MIN, WAIT_MAX)

    def __init__(self, environment) -> None:
        # Stand in for the TLS proxy on every request (see the module docstring).
        origin = (self.host or "").replace("http://", "https://", 1).rstrip("/")
        self.default_headers = {"X-Forwarded-Proto": "https", "Origin": origin}
        super().__init__(environment)
        self.client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=("https", "http")))

    def on_start(self) -> None:
        username, password = random.choice(ACCOUNTS)
        page = self.client.get("/login/", name="login page")
        token = CSRF_INPUT.search(page.text).group(1)
        with self.client.post(
            "/login/",
            data=urlencode(
                {"username": username, "password": password, "csrfmiddlewaretoken": token}
            ),
            headers=FORM,
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login as {username} refused ({response.status_code})")
        self.tickets = _ids(self.client.get("/helpdesk/tickets/", name="lists").text, "/tickets/")
        self.orders = _ids(self.client.get("/sales/", name="orders/invoices").text, "/sales/")
        self.invoices = _ids(
            self.client.get("/invoicing/", name="orders/invoices").text, "/invoicing/"
        )
        self.employee = None
        if not self.tickets:
            raise RuntimeError("no ticket to load: run `manage.py seed_demo` first")
        _user_ready(self.environment)

    def _csrf(self) -> str:
        return next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), "")

    def _panel(self, ticket: int):
        response = self.client.get(
            f"/timesheets/ticket/{ticket}/", headers=HTMX, name="ticket view"
        )
        if self.employee is None and (match := SELECTED_EMPLOYEE.search(response.text)):
            self.employee = match.group(1)
        return response

    @task(50)
    def ticket_view(self) -> None:
        ticket = random.choice(self.tickets)
        self.client.get(f"/helpdesk/tickets/{ticket}/", name="ticket view")
        self._panel(ticket)

    @task(20)
    def log_time(self) -> None:
        ticket = random.choice(self.tickets)
        if self.employee is None:
            self._panel(ticket)
        day = date.today() - timedelta(days=random.randrange(730))
        data = {
            "date": day.isoformat(),
            "description": "Load test",
            "duration": "0:05",
            "csrfmiddlewaretoken": self._csrf(),
        }
        if self.employee:
            data["employee"] = self.employee
        with self.client.post(
            f"/timesheets/ticket/{ticket}/add/",
            data=urlencode(data),
            headers={**HTMX, **FORM},
            name="log time",
            catch_response=True,
        ) as response:
            if response.status_code == 200 and "logged." not in response.text:
                response.failure("the entry was refused")

    @task(20)
    def lists(self) -> None:
        self.client.get(random.choice(LISTS), name="lists")

    @task(10)
    def orders_and_invoices(self) -> None:
        pages = ["/sales/", "/invoicing/"]
        pages += [f"/sales/{pk}/" for pk in self.orders]
        pages += [f"/invoicing/{pk}/" for pk in self.invoices]
        self.client.get(random.choice(pages), name="orders/invoices")
