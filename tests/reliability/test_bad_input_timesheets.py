"""Timesheet bad input (issue 8): out-of-range dates, loose numbers, stale grid rows and
wild page numbers are refused with a clear message or a 4xx, never a 500.

Entry dates run from `timesheets.models.EARLIEST_ENTRY_DATE` (2000-01-01) to tomorrow
(DOMAIN.md rule 34); durations and amounts are typed with ASCII digits only (rule 12):
"１２" and "1_000" are what Python's int() and Decimal() accept, not what a person means.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import AppSettings
from core.numbers import parse_duration
from invoicing.services.common import parse_decimal
from sales import services as sales_services
from tests.api.conftest import token_client
from tests.builders import build_ticket_world
from tests.factories import (
    CustomerFactory,
    ManagerFactory,
    ProductFactory,
    ProjectFactory,
    StaffUserFactory,
)
from tests.web.conftest import HTMX
from timesheets.models import TimesheetEntry
from timesheets.services import timesheet_log, timesheet_update

pytestmark = pytest.mark.django_db

FULL_WIDTH_12 = "\uff11\uff12"  # "１２"
HUGE = "9223372036854775808"  # 2**63: one past PostgreSQL's bigint


def today() -> datetime.date:
    return timezone.localdate()


def out_of_range_dates() -> list[datetime.date]:
    return [
        datetime.date(1, 1, 1),
        datetime.date(9999, 12, 31),
        datetime.date(1999, 12, 31),
        today() + datetime.timedelta(days=2),
    ]


BAD_DATES = pytest.mark.parametrize(
    "day", out_of_range_dates(), ids=["0001-01-01", "9999-12-31", "1999-12-31", "after-tomorrow"]
)
LOOSE_DURATIONS = pytest.mark.parametrize(
    "duration", [FULL_WIDTH_12, f"{FULL_WIDTH_12}m", "1_000m", "1_0", "0:3_0", "\u0661\u0662"]
)


@pytest.fixture
def world():
    settings = AppSettings.load()
    settings.timesheets_enabled = True
    settings.save()
    return build_ticket_world()


@pytest.fixture
def user():
    return StaffUserFactory()


@pytest.fixture
def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager_web() -> Client:
    client = Client()
    client.force_login(ManagerFactory())
    return client


# --- the service: the one place every entry write passes -------------------------------


@BAD_DATES
def test_the_service_refuses_an_entry_dated_outside_the_allowed_range(world, user, day):
    with pytest.raises(ValidationError) as error:
        timesheet_log(employee=user, date=day, minutes=60, ticket=world.ticket)
    assert "date" in error.value.error_dict
    assert not TimesheetEntry.objects.exists()


def test_the_service_takes_2000_01_01_to_tomorrow_and_no_day_beyond(world, user):
    tomorrow = today() + datetime.timedelta(days=1)
    for day in (tomorrow, datetime.date(2000, 1, 1)):
        timesheet_log(employee=user, date=day, minutes=1, task=world.task)
    for day in (tomorrow + datetime.timedelta(days=1), datetime.date(1999, 12, 31)):
        with pytest.raises(ValidationError):
            timesheet_log(employee=user, date=day, minutes=1, task=world.task)
    assert TimesheetEntry.objects.count() == 2


@BAD_DATES
def test_the_service_refuses_moving_an_entry_outside_the_range(world, user, day):
    entry = timesheet_log(employee=user, date=today(), minutes=60, ticket=world.ticket)
    with pytest.raises(ValidationError) as error:
        timesheet_update(entry=entry, date=day)
    assert "date" in error.value.error_dict
    entry.refresh_from_db()
    assert entry.date == today()


def test_an_old_entry_takes_edits_with_its_date_but_no_other_old_date(world, user):
    entry = timesheet_log(employee=user, date=today(), minutes=60, task=world.task)
    TimesheetEntry.objects.filter(pk=entry.pk).update(date=datetime.date(1999, 1, 4))
    entry.refresh_from_db()
    # The edit form sends the unchanged date back: that is not a new date.
    timesheet_update(entry=entry, date=entry.date, description="Imported", minutes=60)
    entry.refresh_from_db()
    assert entry.description == "Imported"
    with pytest.raises(ValidationError) as error:
        timesheet_update(entry=entry, date=datetime.date(1999, 1, 5))
    assert "date" in error.value.error_dict


@pytest.mark.parametrize("minutes", [FULL_WIDTH_12, "1_0", "\u0661\u0662", "1_000"])
def test_the_service_refuses_minutes_that_are_not_ascii_digits(world, user, minutes):
    with pytest.raises(ValidationError) as error:
        timesheet_log(employee=user, date=today(), minutes=minutes, task=world.task)
    assert "minutes" in error.value.error_dict
    assert not TimesheetEntry.objects.exists()


@LOOSE_DURATIONS
def test_a_duration_with_non_ascii_digits_or_underscores_is_refused(duration):
    with pytest.raises(ValueError, match="digits"):
        parse_duration(duration)


# --- the API ---------------------------------------------------------------------------


@BAD_DATES
def test_the_api_refuses_an_entry_dated_outside_the_range(world, user, day):
    response = token_client(user).post(
        "/api/v1/timesheets/",
        {"ticket": world.ticket.pk, "date": day.isoformat(), "minutes": 60},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "date" in response.json()
    assert not TimesheetEntry.objects.exists()


@pytest.mark.parametrize("minutes", [FULL_WIDTH_12, "1_0", "1_000", "\u0661\u0662"])
def test_the_api_refuses_minutes_that_are_not_ascii_digits(world, user, minutes):
    response = token_client(user).post(
        "/api/v1/timesheets/",
        {"ticket": world.ticket.pk, "date": today().isoformat(), "minutes": minutes},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "minutes" in response.json()
    assert not TimesheetEntry.objects.exists()


def test_the_api_refuses_a_date_in_full_width_digits(world, user):
    day = today().isoformat().translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    response = token_client(user).post(
        "/api/v1/timesheets/",
        {"ticket": world.ticket.pk, "date": day, "minutes": 60},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "date" in response.json()


# --- the pages: entries panel, week grid ---------------------------------------------


@BAD_DATES
def test_the_entry_form_shows_the_date_message(world, web, day):
    response = web.post(
        reverse("timesheets:ticket_entry_add", args=[world.ticket.pk]),
        {"date": day.isoformat(), "duration": "1:00", "description": ""},
        **HTMX,
    )
    assert response.status_code == 200
    assert response.context["add_form"].errors["date"]
    assert not TimesheetEntry.objects.exists()


@LOOSE_DURATIONS
def test_the_entry_form_refuses_a_loose_duration(world, web, duration):
    response = web.post(
        reverse("timesheets:ticket_entry_add", args=[world.ticket.pk]),
        {"date": today().isoformat(), "duration": duration, "description": ""},
        **HTMX,
    )
    assert response.status_code == 200
    assert "digits" in str(response.context["add_form"].errors["duration"])
    assert not TimesheetEntry.objects.exists()


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "0001-01-07", "9999-12-27"])
def test_the_week_grid_at_the_ends_of_the_calendar_is_a_page(world, web, week):
    response = web.get(f"{reverse('timesheets:my_week')}?week={week}")
    assert response.status_code == 200
    monday = response.context["monday"]
    assert datetime.date(2000, 1, 1) - datetime.timedelta(days=6) <= monday
    assert monday <= today() + datetime.timedelta(days=1)


@pytest.mark.parametrize("key", ["ticket-\u00b2", "task-\u2460"])
def test_the_week_grid_ignores_malformed_extra_rows(world, web, key):
    response = web.get(f"{reverse('timesheets:my_week')}?add={key}")
    assert response.status_code == 200


def type_in_cell(web, row, day, duration, *, htmx=True):
    return web.post(
        reverse("timesheets:week_cell"),
        {
            "row": row,
            "date": day if isinstance(day, str) else day.isoformat(),
            "duration": duration,
        },
        **(HTMX if htmx else {}),
    )


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-26", "9999-12-27"])
def test_a_cell_at_the_ends_of_the_calendar_is_refused(world, web, day, htmx):
    response = type_in_cell(web, f"ticket-{world.ticket.pk}", day, "1:00", htmx=htmx)
    assert response.status_code == 400
    assert not TimesheetEntry.objects.exists()


def test_a_cell_before_2000_in_the_first_week_shows_the_date_message(world, web):
    """The grid's first week (Monday 1999-12-27) shows days before 2000-01-01."""
    response = type_in_cell(web, f"ticket-{world.ticket.pk}", "1999-12-31", "1:00")
    assert response.status_code == 200
    assert "2000-01-01 or later" in response.context["error"]
    assert not TimesheetEntry.objects.exists()


def test_the_first_and_the_current_week_link_no_further(world, web):
    first = web.get(f"{reverse('timesheets:my_week')}?week=1990-06-01")
    assert first.context["monday"] == datetime.date(1999, 12, 27)
    assert first.context["prev_week"] is None and 'rel="prev"' not in first.content.decode()
    last = web.get(f"{reverse('timesheets:my_week')}?week=2999-06-01")
    tomorrow = today() + datetime.timedelta(days=1)
    assert last.context["monday"] == tomorrow - datetime.timedelta(days=tomorrow.weekday())
    assert last.context["next_week"] is None and 'rel="next"' not in last.content.decode()


def test_a_cell_after_tomorrow_shows_the_date_message(world, web):
    day = today() + datetime.timedelta(days=2)
    response = type_in_cell(web, f"ticket-{world.ticket.pk}", day, "1:00")
    assert response.status_code in (200, 400)
    assert "tomorrow" in response.content.decode()
    assert not TimesheetEntry.objects.exists()


@LOOSE_DURATIONS
def test_a_cell_refuses_a_loose_duration(world, web, duration):
    response = type_in_cell(web, f"ticket-{world.ticket.pk}", today(), duration)
    assert response.status_code == 200
    assert "digits" in response.context["error"]
    assert not TimesheetEntry.objects.exists()


@pytest.mark.parametrize(
    ("row", "duration"),
    [
        ("task-\u00b2", "1:00"),
        ("task-\u00b2", ""),
        ("project-999999", "1:00"),
        (f"project-{HUGE}", "1:00"),
    ],
)
def test_a_cell_of_an_unknown_row_is_a_4xx(world, web, row, duration):
    response = type_in_cell(web, row, today(), duration)
    assert 400 <= response.status_code < 500
    assert not TimesheetEntry.objects.exists()


@pytest.mark.parametrize("duration", ["1:00", ""])
def test_a_cell_of_a_stale_project_row_answers_without_a_500(world, web, duration):
    """A project row (an entry without task) whose project no longer takes timesheets,
    typed into from a grid loaded before that change."""
    project = ProjectFactory(allow_timesheets=False)
    response = type_in_cell(web, f"project-{project.pk}", today(), duration)
    assert response.status_code == 200  # the cell again, with the service's message
    assert ("does not allow timesheets" in response.context["error"]) == bool(duration)
    assert not TimesheetEntry.objects.exists()


def test_a_cell_of_a_project_row_with_its_entry_is_answered(world, web, user):
    """The project row exists only through its entries: clearing the last one must still
    answer with a page, not a 404 or a 500."""
    project = ProjectFactory()
    timesheet_log(employee=user, date=today(), minutes=30, project=project)
    response = type_in_cell(web, f"project-{project.pk}", today(), "")
    assert response.status_code == 200
    assert not TimesheetEntry.objects.exists()


# --- All Timesheets and the other paginated lists ---------------------------------------


@pytest.mark.parametrize("page", [HUGE, "\u00b2", "9" * 5000], ids=["2**63", "superscript", "5000"])
def test_all_timesheets_takes_any_page_number(world, manager_web, user, page):
    timesheet_log(employee=user, date=today(), minutes=30, ticket=world.ticket)
    response = manager_web.get(f"{reverse('timesheets:all')}?page={page}")
    assert response.status_code == 200
    assert len(response.context["entries"]) == 1


# --- the admin ---------------------------------------------------------------------------


@pytest.fixture
def admin_web() -> Client:
    from tests.factories import AdminFactory

    client = Client()
    client.force_login(AdminFactory())
    return client


@BAD_DATES
def test_the_admin_shows_the_date_message(world, admin_web, user, day):
    response = admin_web.post(
        reverse("admin:timesheets_timesheetentry_add"),
        {"date": day.isoformat(), "employee": user.pk, "task": world.task.pk, "duration": "1:00"},
    )
    assert response.status_code == 200
    assert "Date" in response.content.decode() or "date" in response.content.decode()
    assert response.context["adminform"].form.errors
    assert not TimesheetEntry.objects.exists()


@LOOSE_DURATIONS
def test_the_admin_refuses_a_loose_duration(world, admin_web, user, duration):
    response = admin_web.post(
        reverse("admin:timesheets_timesheetentry_add"),
        {
            "date": today().isoformat(),
            "employee": user.pk,
            "task": world.task.pk,
            "duration": duration,
        },
    )
    assert response.status_code == 200
    assert "digits" in str(response.context["adminform"].form.errors["duration"])
    assert not TimesheetEntry.objects.exists()


# --- decimal inputs of the shared parsers, forms and API ----------------------------------


@pytest.mark.parametrize("value", [FULL_WIDTH_12, "1_000", "\u0661\u0662"])
def test_the_shared_decimal_parsers_refuse_non_ascii_digits_and_underscores(value):
    with pytest.raises(ValidationError):
        parse_decimal(value, field="amount", label="amount")
    with pytest.raises(ValidationError):
        sales_services._decimal(value, "quantity")
    assert parse_decimal("12.50", field="amount", label="amount") == Decimal("12.50")
    assert sales_services._decimal("1000", "quantity") == Decimal("1000")


@pytest.fixture
def draft_order():
    return sales_services.order_create(customer=CustomerFactory())


@pytest.mark.parametrize("value", [FULL_WIDTH_12, "1_000"])
def test_the_order_line_form_refuses_loose_numbers(manager_web, draft_order, value):
    product = ProductFactory()
    response = manager_web.post(
        reverse("sales:line_add", args=[draft_order.pk]),
        {"new-product": product.pk, "new-quantity": value},
        **HTMX,
    )
    assert response.status_code in (200, 400)
    assert not draft_order.lines.exists()


@pytest.mark.parametrize("value", [FULL_WIDTH_12, "1_000"])
def test_the_api_refuses_loose_numbers_in_a_sale_line(draft_order, value):
    product = ProductFactory()
    response = token_client(ManagerFactory()).post(
        f"/api/v1/orders/{draft_order.pk}/lines/",
        {"product": product.pk, "quantity": "1", "price_unit": value},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert not draft_order.lines.exists()
