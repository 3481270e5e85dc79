"""B7 of issue 7: load on the production stack (gunicorn + PostgreSQL), with locust.

    scripts/serve-prod.sh &                       # or: make serve-prod
    DJANGO_SETTINGS_MODULE=config.settings.production ... manage.py seed_demo
    .venv/bin/locust -f scripts/loadtest.py --headless -u 50 -r 10 -t 60s \
        --host http://127.0.0.1:8000 --csv b7

The mix per simulated user: 50% ticket view (the ticket page and its Timesheets tab,
as htmx loads it), 20% log time on a ticket (5 minutes on a random day of the last
two years, so no one reaches 24 hours a day), 20% lists (tickets, all timesheets, my
week, projects), 10% orders and invoices (lists and forms). Each user logs in through
the login page with a demo account (LOCUST_ACCOUNTS, default manager:manager).

The production settings mark cookies Secure and redirect plain HTTP to HTTPS, as
behind a TLS proxy. Locust stands in for that proxy: it sends `X-Forwarded-Proto:
https` and the Origin of the HTTPS site, and keeps sending the Secure cookies over
the plain connection to gunicorn.
"""

import os
import random
import re
from datetime import date, timedelta

from locust import HttpUser, between, task
from requests.cookies import RequestsCookieJar

ACCOUNTS = [
    tuple(pair.split(":", 1))
    for pair in os.environ.get("LOCUST_ACCOUNTS", "manager:manager").split(",")
]
WAIT_MIN = float(os.environ.get("LOCUST_WAIT_MIN", "0.1"))
WAIT_MAX = float(os.environ.get("LOCUST_WAIT_MAX", "0.5"))
LISTS = ["/helpdesk/tickets/", "/timesheets/all/", "/timesheets/", "/project/"]

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SELECTED_EMPLOYEE = re.compile(
    r'<select name="employee"[^>]*>.*?<option value="(\d+)" selected', re.DOTALL
)


class BehindTlsProxyCookieJar(RequestsCookieJar):
    """Keeps Secure cookies usable on the plain-HTTP hop between proxy and gunicorn."""

    def set_cookie(self, cookie, *args, **kwargs):
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


def _ids(html: str, prefix: str) -> list[int]:
    return sorted({int(pk) for pk in re.findall(re.escape(prefix) + r"(\d+)/", html)})


class SupportStaff(HttpUser):
    wait_time = between(WAIT_MIN, WAIT_MAX)

    def on_start(self) -> None:
        origin = self.host.replace("http://", "https://", 1).rstrip("/")
        self.client.cookies = BehindTlsProxyCookieJar()
        self.client.headers.update({"X-Forwarded-Proto": "https", "Origin": origin})
        username, password = random.choice(ACCOUNTS)
        page = self.client.get("/login/", name="login page")
        token = CSRF_INPUT.search(page.text).group(1)
        with self.client.post(
            "/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
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

    def _csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def _panel(self, ticket: int):
        response = self.client.get(
            f"/timesheets/ticket/{ticket}/", headers={"HX-Request": "true"}, name="ticket view"
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
            data=data,
            headers={"HX-Request": "true"},
            name="log time",
            catch_response=True,
        ) as response:
            if response.ok and "logged." not in response.text:
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
