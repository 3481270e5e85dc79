"""DOMAIN.md part G through the API: work types, an entry's work type, billing, billed
minutes, a manager's adjustment and approval; products', order lines' and teams' new
fields; the lock date's API name. The names are the issue's contract."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import AppSettings
from helpdesk.models import HelpdeskTeam
from sales.models import SaleOrderLine, WorkType
from tests.api.conftest import token_client
from tests.builders import (
    DAY,
    build_order,
    build_product,
    build_ticket_world,
    build_untracked_product,
    build_work_type,
    log_time,
    refreshed,
)
from tests.factories import StaffUserFactory
from timesheets.models import TimesheetEntry

pytestmark = pytest.mark.django_db


# --- work types ----------------------------------------------------------------------------


def test_everyone_reads_the_work_types_and_support_is_one(user_api):
    WorkType.default()
    build_work_type(name="After hours")

    response = user_api.get("/api/v1/work-types/")

    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()["results"]}
    assert rows["Support"] == {
        "id": WorkType.default().pk,
        "name": "Support",
        "billing": "billable",
        "active": True,
    }
    assert set(rows) == {"Support", "After hours"}


def test_an_admin_adds_and_archives_a_work_type(admin_api):
    created = admin_api.post(
        "/api/v1/work-types/", {"name": "Goodwill", "billing": "no_charge"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["active"] is True

    archived = admin_api.patch(
        f"/api/v1/work-types/{created.json()['id']}/", {"active": False}, format="json"
    )

    assert archived.status_code == 200
    work_type = WorkType.objects.get(name="Goodwill")
    assert (work_type.billing, work_type.active) == (WorkType.NO_CHARGE, False)


@pytest.mark.parametrize("caller", ["user_api", "manager_api"])
def test_only_admins_write_work_types(request, caller):
    client = request.getfixturevalue(caller)
    response = client.post("/api/v1/work-types/", {"name": "Travel"}, format="json")
    assert response.status_code == 403
    assert not WorkType.objects.filter(name="Travel").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Travel", "billing": "free"}, "billing"),
        ({"name": "Support", "billing": "billable"}, "name"),  # names are unique
        ({"billing": "billable"}, "name"),
    ],
)
def test_a_bad_work_type_is_a_400_on_its_field(admin_api, body, field):
    WorkType.default()
    response = admin_api.post("/api/v1/work-types/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_a_work_type_is_archived_not_deleted(admin_api):
    response = admin_api.delete(f"/api/v1/work-types/{WorkType.default().pk}/")
    assert response.status_code == 405
    assert WorkType.objects.filter(name="Support").exists()


def test_work_types_filter_by_billing_and_active(user_api):
    WorkType.default()
    build_work_type(name="Internal", billing=WorkType.NON_BILLABLE)
    WorkType.objects.create(name="Old", active=False)

    internal = user_api.get("/api/v1/work-types/", {"billing": "non_billable"}).json()
    active = user_api.get("/api/v1/work-types/", {"active": "true"}).json()

    assert [row["name"] for row in internal["results"]] == ["Internal"]
    assert {row["name"] for row in active["results"]} == {"Internal", "Support"}
    assert user_api.get("/api/v1/work-types/", {"billing": "free"}).status_code == 400


# --- timesheets: work type, billing, billed minutes ----------------------------------------


@pytest.fixture
def world(helpdesk_user):
    """Ten hours on order, a ticket on its task, nothing logged yet."""
    built = build_ticket_world()
    built.team.members.add(helpdesk_user)
    return built


def _log(api, world, **fields):
    body = {"ticket": world.ticket.pk, "date": DAY.isoformat(), "minutes": 30, **fields}
    return api.post("/api/v1/timesheets/", body, format="json")


def test_an_entry_shows_its_work_type_and_billed_time(user_api, world):
    response = _log(user_api, world)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["work_type"] == WorkType.default().pk
    assert body["billing"] == "billable"
    assert (body["minutes"], body["billed_minutes"]) == (30, 30)
    assert body["billable"] is True
    assert body["billed_minutes_override"] is None
    assert body["adjust_reason"] == ""
    assert (body["adjusted_by"], body["adjusted_at"], body["approval_state"]) == (None, None, None)


def test_an_entry_of_the_teams_default_work_type(user_api, world):
    remote = build_work_type(name="Remote")
    HelpdeskTeam.objects.filter(pk=world.team.pk).update(default_work_type=remote)

    assert _log(user_api, world).json()["work_type"] == remote.pk


def test_a_no_charge_entry_is_logged_and_billed_zero(user_api, world):
    goodwill = build_work_type(name="Goodwill", billing=WorkType.NO_CHARGE)

    body = _log(user_api, world, work_type=goodwill.pk).json()

    assert (body["work_type"], body["minutes"], body["billed_minutes"]) == (goodwill.pk, 30, 0)
    assert refreshed(world.line).qty_delivered == 0


def test_an_archived_or_unknown_work_type_is_a_400(user_api, world):
    old = WorkType.objects.create(name="Old", active=False)
    for value in (old.pk, 999_999, "abc"):
        response = _log(user_api, world, work_type=value)
        assert response.status_code == 400, value
        assert "work_type" in response.json()
    assert not TimesheetEntry.objects.exists()


def test_staff_mark_their_own_entry_non_billable(user_api, world):
    entry = _log(user_api, world, minutes=60).json()
    assert refreshed(world.line).qty_delivered == 1

    response = user_api.patch(
        f"/api/v1/timesheets/{entry['id']}/", {"billing": "non_billable"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["billing"], body["billable"], body["billed_minutes"]) == ("non_billable", False, 0)
    assert refreshed(world.line).qty_delivered == 0


def test_a_bad_billing_is_a_400(user_api, world):
    response = _log(user_api, world, billing="no_charge")  # a work type's, not an entry's
    assert response.status_code == 400
    assert "billing" in response.json()


def test_the_billing_of_an_invoiced_entry_is_a_409(helpdesk_user):
    world = build_ticket_world(employee=helpdesk_user, invoiced=True)

    response = token_client(helpdesk_user).patch(
        f"/api/v1/timesheets/{world.entry.pk}/", {"billing": "non_billable"}, format="json"
    )

    assert response.status_code == 409
    world.entry.refresh_from_db()
    assert not world.entry.non_billable and world.entry.billed_minutes == 300


def test_entries_filter_by_work_type_and_billable(user_api, world, helpdesk_user):
    internal = build_work_type(name="Internal", billing=WorkType.NON_BILLABLE)
    billed = _log(user_api, world).json()
    inside = _log(user_api, world, work_type=internal.pk).json()

    by_type = user_api.get("/api/v1/timesheets/", {"work_type": internal.pk}).json()
    billable = user_api.get("/api/v1/timesheets/", {"billable": "true"}).json()
    not_billable = user_api.get("/api/v1/timesheets/", {"billable": "false"}).json()

    assert [row["id"] for row in by_type["results"]] == [inside["id"]]
    assert [row["id"] for row in billable["results"]] == [billed["id"]]
    assert [row["id"] for row in not_billable["results"]] == [inside["id"]]
    assert user_api.get("/api/v1/timesheets/", {"work_type": "x"}).status_code == 400


# --- a manager's adjustment ----------------------------------------------------------------


def test_a_manager_writes_off_billed_time_with_a_reason_and_clears_it(
    user_api, manager_api, manager, world
):
    entry = _log(user_api, world, minutes=90).json()
    url = f"/api/v1/timesheets/{entry['id']}/"

    adjusted = manager_api.patch(
        url, {"billed_minutes_override": 60, "adjust_reason": "Slow remote link"}, format="json"
    )

    assert adjusted.status_code == 200, adjusted.content
    body = adjusted.json()
    assert (body["minutes"], body["billed_minutes"], body["billed_minutes_override"]) == (
        90,
        60,
        60,
    )
    assert (body["adjust_reason"], body["adjusted_by"]) == ("Slow remote link", manager.pk)
    assert body["adjusted_at"] is not None
    assert refreshed(world.line).qty_delivered == 1
    # The employee sees the adjustment too.
    assert user_api.get(url).json()["billed_minutes_override"] == 60

    cleared = manager_api.patch(url, {"billed_minutes_override": None}, format="json")

    assert cleared.status_code == 200
    body = cleared.json()
    assert (body["billed_minutes"], body["billed_minutes_override"]) == (90, None)
    assert (body["adjust_reason"], body["adjusted_by"], body["adjusted_at"]) == ("", None, None)
    assert refreshed(world.line).qty_delivered == Decimal("1.50")


def test_a_manager_logs_an_entry_with_a_write_up(manager_api, manager, world):
    world.team.members.add(manager)
    response = _log(
        manager_api, world, minutes=20, billed_minutes_override=30, adjust_reason="Call-out"
    )
    assert response.status_code == 201, response.content
    assert response.json()["billed_minutes"] == 30


def test_a_reason_alone_rewords_the_adjustment(user_api, manager_api, world):
    entry = _log(user_api, world, minutes=90).json()
    url = f"/api/v1/timesheets/{entry['id']}/"
    manager_api.patch(url, {"billed_minutes_override": 60, "adjust_reason": "x"}, format="json")

    response = manager_api.patch(url, {"adjust_reason": "Slow link"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["billed_minutes"], body["adjust_reason"]) == (60, "Slow link")


@pytest.mark.parametrize(
    "body",
    [
        {"billed_minutes_override": 60},  # no reason
        {"billed_minutes_override": 60, "adjust_reason": "  "},
        {"adjust_reason": "No override to explain"},
        {"billed_minutes_override": 1441, "adjust_reason": "Too long"},
        {"billed_minutes_override": "１２", "adjust_reason": "Loose digits"},
    ],
)
def test_a_bad_adjustment_is_a_400(user_api, manager_api, world, body):
    entry = _log(user_api, world, minutes=90).json()

    response = manager_api.patch(f"/api/v1/timesheets/{entry['id']}/", body, format="json")

    assert response.status_code == 400, response.content
    assert set(response.json()) & {"billed_minutes_override", "adjust_reason"}
    assert TimesheetEntry.objects.get(pk=entry["id"]).billed_minutes == 90


@pytest.mark.parametrize(
    "body",
    [
        {"billed_minutes_override": 0, "adjust_reason": "Goodwill"},
        {"billed_minutes_override": None},
        {"adjust_reason": "Mine"},
        {"minutes": 45, "billed_minutes_override": 0, "adjust_reason": "Goodwill"},
    ],
)
def test_a_helpdesk_user_sending_the_managers_fields_gets_403(user_api, world, body):
    entry = _log(user_api, world, minutes=90).json()

    response = user_api.patch(f"/api/v1/timesheets/{entry['id']}/", body, format="json")

    assert response.status_code == 403
    stored = TimesheetEntry.objects.get(pk=entry["id"])
    assert (stored.minutes, stored.billed_minutes, stored.billed_minutes_override) == (90, 90, None)


def test_a_helpdesk_user_cannot_log_with_an_override(user_api, world):
    response = _log(user_api, world, billed_minutes_override=0, adjust_reason="Free")
    assert response.status_code == 403
    assert not TimesheetEntry.objects.exists()


def test_adjusting_an_invoiced_entry_is_a_409(helpdesk_user, manager):
    world = build_ticket_world(employee=helpdesk_user, invoiced=True)

    response = token_client(manager).patch(
        f"/api/v1/timesheets/{world.entry.pk}/",
        {"billed_minutes_override": 0, "adjust_reason": "Goodwill"},
        format="json",
    )

    assert response.status_code == 409
    world.entry.refresh_from_db()
    assert world.entry.billed_minutes_override is None


# --- approval ------------------------------------------------------------------------------


@pytest.fixture
def approving(world):
    HelpdeskTeam.objects.filter(pk=world.team.pk).update(approve_time=True)
    return world


def test_time_of_an_approving_team_waits_for_a_manager(user_api, manager_api, approving):
    first = _log(user_api, approving, minutes=60).json()
    second = _log(user_api, approving, minutes=30).json()
    assert (first["approval_state"], first["billable"], first["billed_minutes"]) == (
        "to_approve",
        False,
        0,
    )
    to_approve = user_api.get("/api/v1/timesheets/", {"approval_state": "to_approve"}).json()
    assert {row["id"] for row in to_approve["results"]} == {first["id"], second["id"]}

    response = manager_api.post(
        "/api/v1/timesheets/approve/", {"ids": [first["id"]]}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"approved": 1}
    body = user_api.get(f"/api/v1/timesheets/{first['id']}/").json()
    assert (body["approval_state"], body["billable"], body["billed_minutes"]) == (
        "approved",
        True,
        60,
    )
    assert refreshed(approving.line).qty_delivered == 1
    # Approving it again changes nothing.
    again = manager_api.post(
        "/api/v1/timesheets/approve/", {"ids": [first["id"], second["id"]]}, format="json"
    )
    assert again.json() == {"approved": 1}


def test_the_approval_filter_names_entries_without_approval_none(user_api, world):
    entry = _log(user_api, world).json()
    rows = user_api.get("/api/v1/timesheets/", {"approval_state": "none"}).json()["results"]
    assert [row["id"] for row in rows] == [entry["id"]]
    assert user_api.get("/api/v1/timesheets/", {"approval_state": "nope"}).status_code == 400


def test_only_managers_approve(user_api, approving):
    entry = _log(user_api, approving).json()

    response = user_api.post("/api/v1/timesheets/approve/", {"ids": [entry["id"]]}, format="json")

    assert response.status_code == 403
    assert TimesheetEntry.objects.get(pk=entry["id"]).approval_state == "to_approve"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": []},
        {"ids": "1"},
        {"ids": ["abc"]},
        {"ids": [0]},
        {"ids": ["１"]},
        {"ids": [2**63]},
        {"ids": [999_999]},  # no such entry
        {"ids": [{"id": 1}]},
    ],
)
def test_a_malformed_approval_is_a_400(manager_api, user_api, approving, body):
    entry = _log(user_api, approving).json()

    response = manager_api.post("/api/v1/timesheets/approve/", body, format="json")

    assert response.status_code == 400, response.content
    assert "ids" in response.json()
    assert TimesheetEntry.objects.get(pk=entry["id"]).approval_state == "to_approve"


# --- products and order lines: rounding rules and rate lines --------------------------------


def test_a_product_rounding_rule_is_read_and_written(manager_api):
    product = build_product()
    url = f"/api/v1/products/{product.pk}/"
    assert (
        manager_api.get(url).json().items()
        >= {
            "rounding_increment": 1,
            "rounding_mode": "up",
            "minimum_minutes": 0,
        }.items()
    )

    response = manager_api.patch(
        url,
        {"rounding_increment": 15, "rounding_mode": "nearest", "minimum_minutes": 30},
        format="json",
    )

    assert response.status_code == 200
    product.refresh_from_db()
    assert (product.rounding_increment, product.rounding_mode, product.minimum_minutes) == (
        15,
        "nearest",
        30,
    )


@pytest.mark.parametrize(
    "body",
    [
        {"rounding_increment": 0},
        {"rounding_increment": 1441},
        {"rounding_mode": "down"},
        {"minimum_minutes": -1},
        {"minimum_minutes": 1441},
        {"rounding_increment": "１５"},
    ],
)
def test_a_bad_product_rounding_rule_is_a_400(manager_api, body):
    product = build_product()
    response = manager_api.patch(f"/api/v1/products/{product.pk}/", body, format="json")
    assert response.status_code == 400
    assert set(body) <= set(response.json())


def test_a_new_order_line_takes_its_products_rounding_rule(manager_api):
    product = build_product(rounding_increment=15, rounding_mode="nearest", minimum_minutes=30)
    order = build_order(product=product, confirm=False)

    response = manager_api.post(
        f"/api/v1/orders/{order.pk}/lines/", {"product": product.pk, "quantity": "2"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["rounding_increment"], body["rounding_mode"], body["minimum_minutes"]) == (
        15,
        "nearest",
        30,
    )
    assert (body["rate_work_type"], body["rate_employee"], body["qty_written_down"]) == (
        None,
        None,
        "0.00",
    )


def test_a_rate_line_is_added_with_its_own_rounding(manager_api, helpdesk_user):
    after_hours = build_work_type(name="After hours")
    product = build_product()
    order = build_order(product=product)

    response = manager_api.post(
        f"/api/v1/orders/{order.pk}/lines/",
        {
            "product": product.pk,
            "quantity": "0",
            "price_unit": "150",
            "rounding_increment": 60,
            "rate_work_type": after_hours.pk,
            "rate_employee": helpdesk_user.pk,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    line = SaleOrderLine.objects.get(pk=response.json()["id"])
    assert (line.rate_work_type, line.rate_employee, line.rounding_increment) == (
        after_hours,
        helpdesk_user,
        60,
    )


def test_an_order_lines_rounding_rule_rebills_its_uninvoiced_entries(user_api, manager_api, world):
    _log(user_api, world, minutes=7)
    _log(user_api, world, minutes=31)
    assert refreshed(world.line).delivered_minutes == 38

    response = manager_api.patch(
        f"/api/v1/order-lines/{world.line.pk}/",
        {"rounding_increment": 15, "minimum_minutes": 30},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["qty_delivered"] == "1.25"  # 30 + 45 minutes
    assert sorted(TimesheetEntry.objects.values_list("billed_minutes", flat=True)) == [30, 45]


def test_entries_follow_a_rate_line_set_and_cleared_through_the_api(user_api, manager_api, world):
    after_hours = build_work_type(name="After hours")
    entry = _log(user_api, world, minutes=60, work_type=after_hours.pk).json()
    added = manager_api.post(
        f"/api/v1/orders/{world.order.pk}/lines/",
        {"product": world.product.pk, "quantity": "0", "price_unit": "150"},
        format="json",
    ).json()
    assert TimesheetEntry.objects.get(pk=entry["id"]).sale_line_id == world.line.pk

    set_rate = manager_api.patch(
        f"/api/v1/order-lines/{added['id']}/", {"rate_work_type": after_hours.pk}, format="json"
    )

    assert set_rate.status_code == 200, set_rate.content
    assert set_rate.json()["rate_work_type"] == after_hours.pk
    assert set_rate.json()["qty_delivered"] == "1.00"
    assert TimesheetEntry.objects.get(pk=entry["id"]).sale_line_id == added["id"]

    cleared = manager_api.patch(
        f"/api/v1/order-lines/{added['id']}/", {"rate_work_type": None}, format="json"
    )

    assert cleared.json()["rate_work_type"] is None
    assert TimesheetEntry.objects.get(pk=entry["id"]).sale_line_id == world.line.pk
    assert refreshed(world.line).qty_delivered == 1


def test_a_rate_line_sold_in_units_is_a_400(manager_api):
    after_hours = build_work_type(name="After hours")
    product = build_untracked_product(unit="Units", price="50", tax="21")
    order = build_order(product=product, confirm=False)

    response = manager_api.post(
        f"/api/v1/orders/{order.pk}/lines/",
        {"product": product.pk, "quantity": "1", "rate_work_type": after_hours.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "Working time" in response.json()["rate_work_type"][0]
    assert order.lines.count() == 1


def test_a_rate_employee_who_left_is_a_400(manager_api):
    gone = StaffUserFactory(is_active=False)
    line = build_order().lines.get()

    response = manager_api.patch(
        f"/api/v1/order-lines/{line.pk}/", {"rate_employee": gone.pk}, format="json"
    )

    assert response.status_code == 400
    assert "rate_employee" in response.json()
    assert refreshed(line).rate_employee_id is None


def test_an_archived_rate_work_type_is_a_400(manager_api):
    old = WorkType.objects.create(name="Old", active=False)
    line = build_order().lines.get()

    response = manager_api.patch(
        f"/api/v1/order-lines/{line.pk}/", {"rate_work_type": old.pk}, format="json"
    )

    assert response.status_code == 400
    assert "rate_work_type" in response.json()


def test_a_bad_line_rounding_rule_is_a_400(manager_api):
    line = build_order().lines.get()
    for body in ({"rounding_increment": 0}, {"rounding_mode": "down"}, {"minimum_minutes": -5}):
        response = manager_api.patch(f"/api/v1/order-lines/{line.pk}/", body, format="json")
        assert response.status_code == 400, body
        assert set(body) <= set(response.json())
    assert refreshed(line).rounding_increment == 1


# --- teams and settings --------------------------------------------------------------------


def test_a_team_has_a_default_work_type_and_approves_time(admin_api, user_api, world):
    remote = build_work_type(name="Remote")
    url = f"/api/v1/teams/{world.team.pk}/"
    assert (
        user_api.get(url).json().items()
        >= {"default_work_type": None, "approve_time": False}.items()
    )

    response = admin_api.patch(
        url, {"default_work_type": remote.pk, "approve_time": True}, format="json"
    )

    assert response.status_code == 200, response.content
    team = HelpdeskTeam.objects.get(pk=world.team.pk)
    assert (team.default_work_type, team.approve_time) == (remote, True)
    entry = _log(user_api, world).json()
    assert (entry["work_type"], entry["approval_state"]) == (remote.pk, "to_approve")


def test_an_archived_work_type_cannot_become_a_teams_default(admin_api, world):
    old = WorkType.objects.create(name="Old", active=False)
    response = admin_api.patch(
        f"/api/v1/teams/{world.team.pk}/", {"default_work_type": old.pk}, format="json"
    )
    assert response.status_code == 400
    assert "default_work_type" in response.json()


def test_the_lock_date_is_timesheets_locked_until_and_keeps_its_old_name(admin_api, user_api):
    locked = timezone.localdate() - datetime.timedelta(days=10)

    response = admin_api.patch(
        "/api/v1/settings/", {"timesheets_locked_until": locked.isoformat()}, format="json"
    )

    assert response.status_code == 200
    assert AppSettings.load().timesheets_locked_up_to == locked
    body = user_api.get("/api/v1/settings/").json()
    assert body["timesheets_locked_until"] == body["timesheets_locked_up_to"] == locked.isoformat()

    older = admin_api.patch("/api/v1/settings/", {"timesheets_locked_up_to": None}, format="json")
    assert older.status_code == 200
    assert older.json()["timesheets_locked_until"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"timesheets_locked_until": "tomorrow"},
        {"timesheets_locked_until": "２０２６-01-01"},
        {"timesheets_locked_until": "2026-01-01", "timesheets_locked_up_to": "2026-01-02"},
    ],
)
def test_a_bad_lock_date_is_a_400(admin_api, body):
    response = admin_api.patch("/api/v1/settings/", body, format="json")
    assert response.status_code == 400
    assert "timesheets_locked_until" in response.json()
    assert AppSettings.load().timesheets_locked_up_to is None


def test_a_lock_date_after_today_is_a_400(admin_api):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = admin_api.patch(
        "/api/v1/settings/", {"timesheets_locked_until": tomorrow.isoformat()}, format="json"
    )
    assert response.status_code == 400
    assert AppSettings.load().timesheets_locked_up_to is None


def test_a_locked_entry_is_refused_by_the_api(user_api, world):
    entry = _log(user_api, world).json()
    settings = AppSettings.load()
    settings.timesheets_locked_up_to = DAY
    settings.save()

    response = user_api.patch(
        f"/api/v1/timesheets/{entry['id']}/", {"billing": "non_billable"}, format="json"
    )

    assert response.status_code in (400, 409)
    assert not TimesheetEntry.objects.get(pk=entry["id"]).non_billable


def test_an_entry_of_someone_else_keeps_its_work_type(user_api, world):
    other = StaffUserFactory()
    world.team.members.add(other)
    entry = log_time(employee=other, minutes=30, ticket=world.ticket)
    internal = build_work_type(name="Internal", billing=WorkType.NON_BILLABLE)

    response = user_api.patch(
        f"/api/v1/timesheets/{entry.pk}/", {"work_type": internal.pk}, format="json"
    )

    assert response.status_code == 404  # another's entry is not in a Helpdesk User's list
    entry.refresh_from_db()
    assert entry.work_type == WorkType.default()
