"""The logged-in user and their roles come from one query, and a role change counts at once."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import roles
from core.auth import RolesModelBackend
from tests.factories import ManagerFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_get_user_reads_the_roles_with_the_user():
    manager, staff, nobody = ManagerFactory(), StaffUserFactory(), UserFactory()
    backend = RolesModelBackend()
    with CaptureQueriesContext(connection) as queries:
        loaded = [backend.get_user(user.pk) for user in (manager, staff, nobody)]
        flags = [(roles.is_manager(u), roles.is_helpdesk_user(u)) for u in loaded]
    assert flags == [(True, True), (False, True), (False, False)]
    assert len(queries) == 3  # one per user, none for the roles


def test_inactive_or_missing_users_are_not_loaded():
    assert RolesModelBackend().get_user(UserFactory(is_active=False).pk) is None
    assert RolesModelBackend().get_user(987654) is None


def test_a_role_taken_away_counts_on_the_next_request(client):
    manager = ManagerFactory()
    client.force_login(manager)
    assert client.get(reverse("timesheets:all")).status_code == 200
    manager.groups.remove(Group.objects.get(name=roles.MANAGER))
    assert client.get(reverse("timesheets:all")).status_code == 403
