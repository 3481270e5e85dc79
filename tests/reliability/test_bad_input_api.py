"""Hostile bodies on the login page and the API: a clean 4xx (JSON on the API), never a
500 nor Django's HTML error page (issue 8)."""

import datetime
import json

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from api.parsers import MAX_DEPTH
from api.services import api_token_issue
from tests.factories import StaffUserFactory
from timesheets.models import TimesheetEntry

pytestmark = pytest.mark.django_db
TIMESHEETS = "/api/v1/timesheets/"


@pytest.fixture
def api():
    user = StaffUserFactory(username="hd_user")
    _, key = api_token_issue(user=user)
    # A crash must come back as the 500 a client would get, not be raised into the test.
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def _axes_on():
    with override_settings(
        AXES_ENABLED=True,
        AXES_FAILURE_LIMIT=5,
        AXES_COOLOFF_TIME=datetime.timedelta(minutes=15),
    ):
        yield


def _json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return response.json()


@pytest.mark.usefixtures("_axes_on")
def test_a_100k_character_username_gets_the_normal_login_error():
    client = Client(raise_request_exception=False)

    response = client.post(reverse("core:login"), {"username": "u" * 100_000, "password": "x"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    # The failure is still counted, under the name cut to a username's 150 characters.
    assert AccessAttempt.objects.get().username == "u" * 150


@pytest.mark.usefixtures("_axes_on")
def test_a_long_username_is_still_locked_out_after_five_failures():
    client = Client(raise_request_exception=False)
    statuses = [
        client.post(reverse("core:login"), {"username": "u" * 5_000, "password": "x"}).status_code
        for _ in range(6)
    ]
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_json_nested_5000_levels_deep_is_a_400_json_error(api):
    response = api.post(TIMESHEETS, data="[" * 5000 + "]" * 5000, content_type="application/json")

    body = _json_error(response, 400)
    assert "nested deeper than" in body["detail"]
    assert not TimesheetEntry.objects.exists()


def test_json_nested_just_past_the_limit_is_refused_and_at_the_limit_parsed(api):
    def nested(levels: int) -> str:
        return json.dumps({"description": "x"}) if levels == 1 else f'{{"a": {nested(levels - 1)}}}'

    too_deep = api.post(TIMESHEETS, data=nested(MAX_DEPTH + 1), content_type="application/json")
    at_limit = api.post(TIMESHEETS, data=nested(MAX_DEPTH), content_type="application/json")

    assert "nested deeper than" in _json_error(too_deep, 400)["detail"]
    # Parsed: refused by the serializer for its missing fields, not by the parser.
    assert "nested deeper than" not in json.dumps(_json_error(at_limit, 400))


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"description": "' + b"x" * 10_000_000 + b'"}'),
        ("application/x-www-form-urlencoded", b"description=" + b"x" * 10_000_000),
    ],
)
def test_a_10_mb_body_is_a_413_json_error(api, content_type, body):
    response = api.post(TIMESHEETS, data=body, content_type=content_type)

    assert "larger than" in _json_error(response, 413)["detail"]
    assert not TimesheetEntry.objects.exists()
