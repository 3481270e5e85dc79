"""Login throttling (django-axes): 5 failed logins for a username from one address lock
that pair out for 15 minutes; `manage.py axes_reset` lifts the lockout at once.

The test settings switch axes off (Django's `client.login()` passes no request, which
axes refuses); these tests switch it on and log in through the real login page.
"""

import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from core.middleware import client_ip
from tests.factories import StaffUserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_axes_on")]

PASSWORD = "pass"


@pytest.fixture
def _axes_on():
    with override_settings(
        AXES_ENABLED=True,
        AXES_FAILURE_LIMIT=5,
        AXES_COOLOFF_TIME=datetime.timedelta(minutes=15),
    ):
        yield


@pytest.fixture
def user():
    return StaffUserFactory(username="alice")


def _login(client, username: str, password: str):
    return client.post(reverse("core:login"), {"username": username, "password": password})


def _fail(client, username: str, times: int) -> None:
    for attempt in range(1, times + 1):
        response = _login(client, username, "wrong password")
        # The form again with its error; the fifth failure is answered by the lockout.
        assert response.status_code == (429 if attempt >= 5 else 200)
        assert "_auth_user_id" not in client.session


def test_settings_default_to_five_failures_and_a_fifteen_minute_lockout():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert datetime.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert "axes.middleware.AxesMiddleware" in settings.MIDDLEWARE


def test_it_lets_in_the_right_password_after_four_failures(client, user):
    _fail(client, "alice", 4)

    response = _login(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_it_locks_out_the_right_password_after_five_failures(client, user):
    _fail(client, "alice", 5)

    response = _login(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_success_resets_the_failure_count(client, user):
    _fail(client, "alice", 4)
    assert _login(client, "alice", PASSWORD).status_code == 302
    client.logout()

    _fail(client, "alice", 4)

    assert _login(client, "alice", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off_time(client, user):
    _fail(client, "alice", 5)
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16)
    )

    response = _login(client, "alice", PASSWORD)

    assert response.status_code == 302


def test_the_lockout_still_holds_within_the_cool_off_time(client, user):
    _fail(client, "alice", 5)
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=14)
    )

    assert _login(client, "alice", PASSWORD).status_code == 429


def test_axes_reset_command_lifts_the_lockout(client, user):
    _fail(client, "alice", 5)
    assert _login(client, "alice", PASSWORD).status_code == 429

    call_command("axes_reset", stdout=None)

    assert _login(client, "alice", PASSWORD).status_code == 302


def test_a_locked_out_username_does_not_lock_out_another_user(client, user):
    StaffUserFactory(username="bob")
    _fail(client, "alice", 5)

    assert _login(client, "bob", PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too(client):
    admin_user = StaffUserFactory(username="root", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(5):
        client.post(url, {"username": "root", "password": "nope"})

    response = client.post(url, {"username": admin_user.username, "password": PASSWORD})

    assert response.status_code == 429


def test_client_ip_is_remote_addr_without_a_trusted_proxy(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.1")

    assert client_ip(request) == "198.51.100.7"


def test_client_ip_is_what_the_trusted_proxy_saw(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")

    assert client_ip(request) == "203.0.113.9"


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(client, user, settings):
    """Behind one proxy, the client's own X-Forwarded-For entries come first; the
    address the proxy appended is the one counted."""
    settings.TRUSTED_PROXY_COUNT = 1
    for attempt in range(5):
        client.post(
            reverse("core:login"),
            {"username": "alice", "password": "wrong"},
            headers={"x-forwarded-for": f"192.0.2.{attempt}, 203.0.113.9"},
        )

    response = client.post(
        reverse("core:login"),
        {"username": "alice", "password": PASSWORD},
        headers={"x-forwarded-for": "192.0.2.99, 203.0.113.9"},
    )

    assert response.status_code == 429


def test_behind_a_proxy_the_lockout_is_per_client_address(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        client.post(
            reverse("core:login"),
            {"username": "alice", "password": "wrong"},
            headers={"x-forwarded-for": "203.0.113.9"},
        )

    response = client.post(
        reverse("core:login"),
        {"username": "alice", "password": PASSWORD},
        headers={"x-forwarded-for": "198.51.100.20"},
    )

    assert response.status_code == 302
