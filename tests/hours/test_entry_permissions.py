"""Who may change or log which entry: a Helpdesk User their own, a Manager everyone's."""

import pytest
from django.contrib.auth.models import AnonymousUser

from tests.builders import DAY, build_hours_ticket
from tests.factories import AdminFactory, ManagerFactory, StaffUserFactory, UserFactory
from timesheets.permissions import can_change_entry, can_log_for
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(employee):
    _, ticket = build_hours_ticket()
    return timesheet_log(employee=employee, date=DAY, minutes=30, ticket=ticket)


def test_a_helpdesk_user_changes_their_own_entry_only(entry, employee):
    assert can_change_entry(employee, entry)
    assert not can_change_entry(StaffUserFactory(), entry)


def test_managers_and_admins_change_anyones_entry(entry):
    assert can_change_entry(ManagerFactory(), entry)
    assert can_change_entry(AdminFactory(), entry)


def test_a_user_without_a_role_or_login_changes_nothing(entry):
    assert not can_change_entry(UserFactory(), entry)
    assert not can_change_entry(AnonymousUser(), entry)


def test_only_managers_log_time_for_someone_else(employee):
    assert can_log_for(employee, employee)
    assert not can_log_for(StaffUserFactory(), employee)
    assert can_log_for(ManagerFactory(), employee)
    assert not can_log_for(UserFactory(), employee)
