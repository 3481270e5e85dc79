"""Nobody reaches a record by guessing its id in a URL.

Every URL of the project that takes a record id (pages, API, admin; see url_walk.py)
is requested with the ids of records the owner, a Helpdesk User, made, as:
anonymous (sent to log in, or 401/403), another Helpdesk User (refused wherever the
record is not theirs to change, and nothing of the owner's changes), the owner, a
manager and an administrator (the page, a redirect or 405). No answer is ever a 500:
a crash is reported with its traceback.
"""

import datetime
import traceback
from collections.abc import Iterable

import pytest
from django.test import Client

from core.models import AppSettings, Sequence
from invoicing.models import Invoice, InvoiceLine, Payment
from projects.models import Project, Task
from sales.models import Customer, Product, SaleOrder, SaleOrderLine, WorkType
from tests.builders import DAY, CompanyWorld, build_company_world
from tests.security.inline_code import inline_code
from tests.security.url_walk import PkUrl, id_sets, pk_urls
from timesheets.models import TimesheetEntry

pytestmark = pytest.mark.django_db

MANAGER_ONLY_PAGES = {"sales", "invoicing"}  # namespaces of the manager-only pages
MANAGER_ONLY_API = ("api:order", "api:invoice")  # writes there need a manager
UNCHANGED_BY_OTHERS = [
    TimesheetEntry,
    SaleOrder,
    SaleOrderLine,
    Invoice,
    InvoiceLine,
    Payment,
    Customer,
    Product,
    WorkType,
    Project,
    Task,
    AppSettings,
    Sequence,
]
LOGIN_PATHS = ("/login/", "/admin/login/")


@pytest.fixture
def world() -> CompanyWorld:
    return build_company_world()


def _tampering_payload(world: CompanyWorld) -> dict[str, str]:
    """What a form or API call might take: had a view no permission check, these would
    change the owner's records (or log time in the owner's name)."""
    ticket = world.of(TimesheetEntry)[0].ticket
    return {
        "description": "tampered",
        "minutes": "30",
        "duration": "0:30",
        "hours": "0:30",
        "date": str(DAY + datetime.timedelta(days=5)),
        "employee": str(world.owner.pk),
        "ticket": str(ticket.pk),
        "task": str(ticket.task_id),
        "quantity": "99",
        "price_unit": "1",
        "amount": "1",
        "method": "bank",
        "reference": "tampered",
        "up_to": str(DAY + datetime.timedelta(days=30)),
        "post": "yes",
    }


class Walk:
    """Requests every id URL as one user; collects what breaks the expectations."""

    def __init__(self, client: Client, world: CompanyWorld) -> None:
        self.client = client
        self.world = world
        self.problems: list[str] = []
        self.requests = 0

    def fetch(self, method: str, url: str, data: dict | None = None):
        self.requests += 1
        try:
            if method == "GET":
                return self.client.get(url)
            if method == "POST":
                return self.client.post(url, data or {})
            if method == "PATCH":
                return self.client.patch(url, data or {}, content_type="application/json")
            if method == "DELETE":
                return self.client.delete(url)
        except Exception:  # a crash is a 500; keep walking and report it with its traceback
            self.problems.append(f"{method} {url} -> 500\n{traceback.format_exc()}")
            return None
        raise ValueError(method)

    def urls(self, *, include_admin: bool = True) -> Iterable[tuple[PkUrl, str, tuple]]:
        for pk_url in pk_urls():
            if pk_url.is_admin and not include_admin:
                continue
            for ids in id_sets(pk_url, self.world.records):
                yield pk_url, pk_url.reverse(ids), ids

    def expect(self, method: str, url: str, response, allowed: set[int], why: str) -> None:
        if response is None:
            return  # reported already
        if response.status_code >= 500:
            self.problems.append(f"{method} {url} -> {response.status_code} (server error)")
        elif response.status_code not in allowed:
            self.problems.append(
                f"{method} {url} -> {response.status_code}, expected {sorted(allowed)} ({why})"
            )

    def expect_no_inline_code(self, url: str, response) -> None:
        """A page must hold nothing our Content Security Policy blocks."""
        if response is None or response.status_code != 200:
            return
        if not response.get("Content-Type", "").startswith("text/html"):
            return
        if findings := inline_code(response.content.decode()):
            self.problems.append(f"GET {url}: blocked by the CSP: {findings}")

    def assert_clean(self) -> None:
        assert self.requests > 0
        assert not self.problems, f"{len(self.problems)} problem(s):\n" + "\n".join(self.problems)


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# The other user may log time of their own on the owner's ticket: that adds an entry
# of theirs and moves the line's Delivered, and changes nothing else.
# Rollups a write elsewhere recomputes (another user's time on the owner's ticket).
DERIVED_FIELDS = {
    "updated_at",
    "delivered_minutes",
    "qty_delivered",
    "logged_minutes",
    "untasked_minutes",
}


def _snapshot(world: CompanyWorld, *, rows_of: dict[str, set] | None = None) -> dict[str, object]:
    """Every row of the models another user must not change (those that existed at
    `rows_of`), the owner's entries, and how many rows the manager-only models hold."""
    state: dict[str, object] = {}
    for model in UNCHANGED_BY_OTHERS:
        rows = model._default_manager.order_by("pk").values()
        if rows_of is not None:
            rows = rows.filter(pk__in=rows_of[model.__name__])
        state[model.__name__] = [
            {k: v for k, v in row.items() if k not in DERIVED_FIELDS} for row in rows
        ]
        if model is not TimesheetEntry:
            state[f"{model.__name__} count"] = model._default_manager.count()
    state["owner's entries"] = sorted(
        TimesheetEntry.objects.filter(employee=world.owner).values_list("pk", flat=True)
    )
    return state


def _row_ids(state: dict[str, object]) -> dict[str, set]:
    return {
        model.__name__: {row["id"] for row in state[model.__name__]}
        for model in UNCHANGED_BY_OTHERS
    }


def _entry_ids(world: CompanyWorld, pk_url: PkUrl, ids: tuple) -> bool:
    """Does this URL point at one of the owner's timesheet entries?"""
    owner_entries = {entry.pk for entry in world.of(TimesheetEntry)}
    return any(
        model is TimesheetEntry and pk in owner_entries
        for model, pk in zip(pk_url.models, ids, strict=True)
    )


def test_the_walk_covers_the_pages_the_api_and_the_admin():
    names = {pk_url.name for pk_url in pk_urls()}

    assert "admin:sales_saleorder_change" in names
    assert any(name.startswith("api:") for name in names), "no API URL with an id"
    assert any(name.startswith("helpdesk:") for name in names), "no helpdesk page with an id"


def test_every_id_in_a_url_names_its_model():
    """A URL whose ids the walk cannot place is walked with every id, but only its
    model lets the walk apply the ownership rules: name the model in url_walk.py."""
    unknown = [f"{pk_url.name} ({pk_url.route})" for pk_url in pk_urls() if None in pk_url.models]

    assert unknown == []


def test_anonymous_is_sent_to_log_in_everywhere(world):
    walk = Walk(_client(), world)
    for _pk_url, url, _ids in walk.urls():
        for method in ("GET", "POST"):
            response = walk.fetch(method, url)
            if response is None:
                continue
            if response.status_code == 302:
                if not response["Location"].startswith(LOGIN_PATHS):
                    walk.problems.append(f"{method} {url} -> 302 to {response['Location']}")
                continue
            # 405: the wrong method is refused before anything is looked up.
            walk.expect(method, url, response, {401, 403, 405}, "anonymous")

    walk.assert_clean()


def test_another_helpdesk_user_cannot_reach_or_change_the_owners_records(world):
    walk = Walk(_client(world.other), world)
    before = _snapshot(world)
    payload = _tampering_payload(world)

    for pk_url, url, ids in walk.urls():
        owners_entry = _entry_ids(world, pk_url, ids)
        if pk_url.is_admin:
            for method in ("GET", "POST"):
                response = walk.fetch(method, url, payload)
                if response is not None and not (
                    response.status_code == 302 and response["Location"].startswith("/admin/login/")
                ):
                    walk.problems.append(f"{method} {url} -> {response.status_code} (admin)")
            continue
        if pk_url.is_api:
            response = walk.fetch("GET", url)
            walk.expect("GET", url, response, {200, 403, 404, 405}, "read")
            write_refused = {403, 404, 405}
            for method in ("PATCH", "DELETE", "POST"):
                response = walk.fetch(method, url, payload)
                if owners_entry or pk_url.name.startswith(MANAGER_ONLY_API):
                    walk.expect(method, url, response, write_refused, "not theirs to change")
                else:
                    walk.expect(method, url, response, {200, 201, 400, 403, 404, 405, 409}, "")
            continue
        manager_only = pk_url.namespace in MANAGER_ONLY_PAGES
        response = walk.fetch("GET", url)
        if manager_only:
            walk.expect("GET", url, response, {403, 404, 405}, "manager-only page")
        elif owners_entry:
            walk.expect("GET", url, response, {200, 302, 403, 404, 405}, "owner's entry")
        else:
            walk.expect("GET", url, response, {200, 302, 405}, "a Helpdesk User's page")
        response = walk.fetch("POST", url, payload)
        if manager_only or owners_entry:
            walk.expect("POST", url, response, {403, 404, 405}, "not theirs to change")
        else:
            walk.expect("POST", url, response, {200, 302, 400, 403, 404, 405, 409}, "")

    walk.assert_clean()
    assert _snapshot(world, rows_of=_row_ids(before)) == before


def test_the_owner_reaches_their_own_entries(world):
    walk = Walk(_client(world.owner), world)
    for pk_url, url, ids in walk.urls(include_admin=False):
        response = walk.fetch("GET", url)
        if _entry_ids(world, pk_url, ids):
            walk.expect("GET", url, response, {200, 302, 405}, "the owner's own entry")
        else:
            walk.expect("GET", url, response, {200, 302, 403, 404, 405}, "")

    walk.assert_clean()


def _no_ubl_yet(url: str, ids: tuple) -> bool:
    if not url.rstrip("/").endswith("ubl"):
        return False
    return not Invoice.objects.filter(pk=ids[0]).exclude(ubl_xml="").exists()


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_reach_every_record(world, role):
    user = getattr(world, role)
    walk = Walk(_client(user), world)
    for pk_url, url, ids in walk.urls(include_admin=role == "admin"):
        response = walk.fetch("GET", url)
        # The admin refuses some changes outright (deleting an order, a posted invoice).
        allowed = {200, 302, 403, 405} if pk_url.is_admin else {200, 302, 405}
        if _no_ubl_yet(url, ids):
            allowed = {404}  # a draft or cancelled invoice has no e-invoice (issue 15)
        walk.expect("GET", url, response, allowed, role)
        walk.expect_no_inline_code(url, response)

    walk.assert_clean()


def test_unknown_ids_answer_404_not_a_crash(world):
    walk = Walk(_client(world.admin), world)
    for pk_url in pk_urls():
        url = pk_url.reverse(tuple(987654 for _ in pk_url.kwargs))
        for method in ("GET", "POST"):
            response = walk.fetch(method, url)
            # Admin answers a missing object with a redirect to its list, or 403
            # where it allows no change of that model at all.
            allowed = {302, 403, 404, 405} if pk_url.is_admin else {404, 405}
            walk.expect(method, url, response, allowed, "no such record")

    walk.assert_clean()


def test_a_manager_posting_empty_forms_never_crashes(world):
    walk = Walk(_client(world.manager), world)
    for pk_url, url, _ids in walk.urls(include_admin=False):
        method = "PATCH" if pk_url.name.endswith("-detail") else "POST"
        response = walk.fetch(method, url)
        allowed = {200, 201, 204, 302, 400, 403, 404, 405, 409}  # 403: an admin's change
        walk.expect(method, url, response, allowed, "")

    walk.assert_clean()
