"""Roles come from the role groups alone; API tokens are stored as a hash (issue 13, 10)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import ApiToken, token_digest
from api.services import api_token_issue
from core import roles
from helpdesk.selectors import helpdesk_staff
from tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

CONFIGURATION = reverse("core:configuration")


def _administrator(**fields):
    user = UserFactory(**fields)
    user.groups.add(Group.objects.get(name=roles.ADMINISTRATOR))
    return user


def test_staff_status_does_not_make_a_helpdesk_user_an_administrator(client):
    user = StaffUserFactory(is_staff=True)
    client.force_login(user)

    assert not roles.is_admin(user) and not roles.is_manager(user)
    assert client.get(CONFIGURATION).status_code == 403
    assert client.get("/admin/").status_code == 302  # to the admin login, not the index
    assert client.get("/admin/sales/product/").status_code == 302
    assert client.post("/api/v1/products/", {}, format="json").status_code == 403


def test_the_administrator_role_opens_configuration_and_the_admin_without_staff_status(client):
    user = _administrator(is_staff=False)
    client.force_login(user)

    assert client.get(CONFIGURATION).status_code == 200
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/sales/product/").status_code == 200
    assert user in helpdesk_staff()


def test_the_admin_login_form_refuses_a_staff_user_without_the_role(client):
    user = StaffUserFactory(is_staff=True)
    user.set_password("pw-123456")
    user.save()

    response = client.post(
        "/admin/login/?next=/admin/", {"username": user.username, "password": "pw-123456"}
    )
    assert response.status_code == 200 and b"correct username and password" in response.content


def test_an_issued_token_is_stored_as_a_hash_and_works_until_revoked():
    user = StaffUserFactory()
    token, key = api_token_issue(user=user, name="laptop")
    stored = ApiToken.objects.values_list("digest", "prefix").get(pk=token.pk)
    assert key not in stored and stored[0] == token_digest(key) and key.startswith(stored[1])

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/tickets/").status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {stored[0]}")  # the stored digest is no key
    assert api.get("/api/v1/tickets/").status_code == 401

    token.delete()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/tickets/").status_code == 401


def test_the_admin_shows_a_new_token_once_and_lists_only_prefixes(client):
    admin = _administrator()
    owner = StaffUserFactory()
    client.force_login(admin)

    response = client.post(
        "/admin/api/apitoken/add/", {"user": owner.pk, "name": "ci"}, follow=True
    )
    token = ApiToken.objects.get(user=owner)
    shown = [str(m) for m in response.context["messages"]]
    key = next(word for m in shown for word in m.split() if len(word) == 40)
    assert token.digest == token_digest(key)

    listing = client.get("/admin/api/apitoken/").content.decode()
    assert token.prefix in listing and key not in listing and token.digest not in listing
