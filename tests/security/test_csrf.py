"""CSRF is enforced on every form and on the API when it is used with a session cookie;
an API client authenticating with a token needs no CSRF token."""

import pytest
from django.test import Client
from django.urls import reverse

from api.services import api_token_issue
from tests.factories import ManagerFactory, StaffUserFactory, TeamFactory

pytestmark = pytest.mark.django_db

TICKETS_API = "/api/v1/tickets/"


@pytest.fixture
def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def _csrf_token(client: Client, url: str) -> str:
    """The token a browser gets with the page (and the matching cookie)."""
    response = client.get(url)
    assert response.status_code == 200
    return client.cookies["csrftoken"].value


def _api_available(client: Client) -> None:
    if client.get(TICKETS_API).status_code == 404:
        pytest.skip("the API (/api/v1/tickets/) is not routed yet")


def test_login_without_the_csrf_token_is_refused(csrf_client):
    StaffUserFactory(username="alice")

    response = csrf_client.post(reverse("core:login"), {"username": "alice", "password": "pass"})

    assert response.status_code == 403
    assert "_auth_user_id" not in csrf_client.session


def test_login_with_the_csrf_token_is_accepted(csrf_client):
    StaffUserFactory(username="alice")
    token = _csrf_token(csrf_client, reverse("core:login"))

    response = csrf_client.post(
        reverse("core:login"),
        {"username": "alice", "password": "pass", "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302


def test_admin_login_without_the_csrf_token_is_refused(csrf_client):
    response = csrf_client.post(reverse("admin:login"), {"username": "x", "password": "y"})

    assert response.status_code == 403


def test_logout_without_the_csrf_token_is_refused_and_keeps_the_session(csrf_client):
    user = StaffUserFactory()
    csrf_client.force_login(user)

    response = csrf_client.post(reverse("core:logout"))

    assert response.status_code == 403
    assert csrf_client.session["_auth_user_id"] == str(user.pk)


def test_a_logged_in_form_post_without_the_csrf_token_writes_nothing(csrf_client):
    from helpdesk.models import Ticket

    team = TeamFactory()
    csrf_client.force_login(StaffUserFactory())

    response = csrf_client.post(
        reverse("helpdesk:ticket_create"), {"team": team.pk, "subject": "Forged"}
    )

    assert response.status_code == 403
    assert not Ticket.objects.filter(subject="Forged").exists()


def test_the_api_with_a_session_refuses_a_write_without_the_csrf_token(csrf_client):
    csrf_client.force_login(ManagerFactory())
    _api_available(csrf_client)

    response = csrf_client.post(TICKETS_API, {}, content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_the_api_with_a_session_accepts_a_write_with_the_csrf_token(csrf_client):
    csrf_client.force_login(ManagerFactory())
    _api_available(csrf_client)
    token = _csrf_token(csrf_client, reverse("helpdesk:team_list"))

    response = csrf_client.post(
        TICKETS_API, {}, content_type="application/json", headers={"X-CSRFToken": token}
    )

    assert response.status_code == 400  # past CSRF, stopped by validation (no fields)


def test_the_api_with_a_token_needs_no_csrf_token(csrf_client):
    manager = ManagerFactory()
    _api_available(csrf_client)
    _, key = api_token_issue(user=manager)

    response = csrf_client.post(
        TICKETS_API,
        {},
        content_type="application/json",
        headers={"Authorization": f"Token {key}"},
    )

    assert response.status_code == 400  # validation, not a CSRF refusal
