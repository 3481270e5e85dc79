"""Sessions expire after SESSION_COOKIE_AGE of idleness: a request pushes the expiry
forward (at most once per SESSION_REFRESH_SECONDS, core.middleware.SessionRefreshMiddleware),
and an expired session is logged out."""

import datetime
import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client):
    client.force_login(StaffUserFactory())
    return client


def _session(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def _set_expiry(client, when: datetime.datetime) -> None:
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=when)


def test_settings_expire_an_idle_session_after_eight_hours_by_default():
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST is False  # refreshed by the middleware
    assert 0 < settings.SESSION_REFRESH_SECONDS <= 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False


def test_a_request_pushes_the_expiry_forward(logged_in):
    _set_expiry(logged_in, timezone.now() + datetime.timedelta(minutes=1))

    response = logged_in.get(reverse("helpdesk:team_list"))

    assert response.status_code == 200
    remaining = _session(logged_in).expire_date - timezone.now()
    assert remaining > datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    assert response.cookies["sessionid"]["max-age"] == settings.SESSION_COOKIE_AGE


def test_requests_within_the_refresh_interval_write_no_session(logged_in):
    logged_in.get(reverse("helpdesk:team_list"))  # the first request refreshes
    _set_expiry(logged_in, timezone.now() + datetime.timedelta(minutes=5))

    with CaptureQueriesContext(connection) as queries:
        response = logged_in.get(reverse("helpdesk:team_list"))

    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert not [q for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    remaining = _session(logged_in).expire_date - timezone.now()
    assert remaining < datetime.timedelta(minutes=6)


def test_a_request_after_the_refresh_interval_pushes_the_expiry_again(logged_in, monkeypatch):
    logged_in.get(reverse("helpdesk:team_list"))
    _set_expiry(logged_in, timezone.now() + datetime.timedelta(minutes=5))
    later = time.time() + settings.SESSION_REFRESH_SECONDS
    monkeypatch.setattr(time, "time", lambda: later)

    response = logged_in.get(reverse("helpdesk:team_list"))

    assert response.cookies["sessionid"]["max-age"] == settings.SESSION_COOKIE_AGE
    remaining = _session(logged_in).expire_date - timezone.now()
    assert remaining > datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_a_request_that_does_not_read_the_session_leaves_it_alone(logged_in):
    response = logged_in.get("/healthz")

    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def test_an_expired_session_is_logged_out(logged_in):
    _set_expiry(logged_in, timezone.now() - datetime.timedelta(seconds=1))

    response = logged_in.get(reverse("helpdesk:team_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


def test_an_expired_session_cannot_use_the_api(logged_in):
    _set_expiry(logged_in, timezone.now() - datetime.timedelta(seconds=1))

    response = logged_in.get("/api/v1/settings/")

    assert response.status_code in (401, 403)
