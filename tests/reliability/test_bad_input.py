"""Bad input never gives a 500 nor a half-written record (issue 8).

Oversized inputs are refused cleanly, and the ticket and timesheet forms are fuzzed
with hypothesis: whatever is posted, the answer is a page or a 4xx and either the
whole change happened or nothing did.
"""

import datetime
import string

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import from_form, register_field_strategy

from helpdesk.models import Ticket
from tests.api.conftest import token_client
from tests.builders import build_order_line, build_product, build_team, build_ticket
from tests.factories import (
    ManagerFactory,
    StaffUserFactory,
)
from timesheets.forms import EntryForm
from timesheets.models import TimesheetEntry

pytestmark = pytest.mark.django_db
MEGABYTE = "x" * (1024 * 1024)

from timesheets.forms import WorkTypeChoiceField  # noqa: E402

# A work type by pk, as a browser posts it: empty (the default), a real one, a missing one.
register_field_strategy(WorkTypeChoiceField, st.sampled_from(["", "1", "999999", "x"]))


@pytest.fixture
def ticket_on_order():
    team = build_team()
    line = build_order_line(product=build_product(project=team.project))
    return build_ticket(line=line, team=team, subject="Down")


def test_a_one_megabyte_description_is_refused_by_the_api(ticket_on_order):
    user = StaffUserFactory()
    response = token_client(user).post(
        "/api/v1/timesheets/",
        {
            "ticket": ticket_on_order.pk,
            "date": "2026-03-02",
            "minutes": 60,
            "description": MEGABYTE,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "description" in response.json()
    assert not TimesheetEntry.objects.exists()


def test_a_one_megabyte_ticket_description_is_refused_on_the_form(client, ticket_on_order):
    manager = ManagerFactory()
    client.force_login(manager)
    before = Ticket.objects.count()
    response = client.post(
        reverse("helpdesk:ticket_create"),
        {
            "subject": "Huge",
            "team": ticket_on_order.team_id,
            "customer": ticket_on_order.customer_id,
            "stage": "new",
            "priority": "0",
            "description": MEGABYTE + MEGABYTE[:1024],
        },
    )
    assert response.status_code in (200, 400)
    assert Ticket.objects.count() == before


def test_ten_thousand_entries_in_one_request_are_refused_whole(ticket_on_order):
    user = StaffUserFactory()
    entry = {"ticket": ticket_on_order.pk, "date": "2026-03-02", "minutes": 1}
    response = token_client(user).post("/api/v1/timesheets/", [entry] * 10_000, format="json")
    assert 400 <= response.status_code < 500
    assert not TimesheetEntry.objects.exists()


texts = st.text(alphabet=string.printable + "éü€", max_size=40)
values = st.one_of(
    texts,
    st.integers(-(10**12), 10**12).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str),
    st.just(""),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=st.fixed_dictionaries(
        {}, optional={k: values for k in ("date", "employee", "description", "duration")}
    )
)
def test_the_timesheets_tab_answers_any_post_without_a_500_or_partial_write(
    client, ticket_on_order, data
):
    staff = StaffUserFactory(username="fuzz-staff")
    client.force_login(staff)
    before = list(TimesheetEntry.objects.values_list("pk", "minutes"))
    line = ticket_on_order.task.sale_line
    line.refresh_from_db()
    delivered_before = line.delivered_minutes
    response = client.post(reverse("timesheets:ticket_entry_add", args=[ticket_on_order.pk]), data)
    assert response.status_code < 500
    after = list(TimesheetEntry.objects.values_list("pk", "minutes"))
    line.refresh_from_db()
    if after == before:
        assert line.delivered_minutes == delivered_before
    else:
        # One whole entry, with the line's Delivered following it.
        (new,) = set(after) - set(before)
        assert line.delivered_minutes == delivered_before + new[1]
        TimesheetEntry.objects.filter(pk=new[0]).delete()
        line.refresh_from_db()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            k: values
            for k in (
                "subject",
                "team",
                "customer",
                "stage",
                "priority",
                "assignee",
                "task",
                "description",
            )
        },
    )
)
def test_the_ticket_form_answers_any_post_without_a_500(client, ticket_on_order, data):
    client.force_login(ManagerFactory(username="fuzz-manager"))
    before = Ticket.objects.count()
    response = client.post(reverse("helpdesk:ticket_create"), data)
    assert response.status_code < 500
    assert Ticket.objects.count() in (before, before + 1)
    Ticket.objects.exclude(pk=ticket_on_order.pk).delete()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_entry_forms_built_by_hypothesis_validate_without_crashing(data):
    user = StaffUserFactory(username="fuzz-form")
    # from_form fills the form's own fields; validating must never raise.
    form = data.draw(
        from_form(
            EntryForm,
            form_kwargs={"user": user, "can_choose_employee": False},
            duration=values,  # our own field type: any text a person might type
        )
    )
    if form.is_valid():
        assert isinstance(form.cleaned_data["date"], datetime.date)
        assert isinstance(
            form.cleaned_data["duration"], int
        )  # minutes; the service checks the range
