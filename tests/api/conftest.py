"""API clients by role; the users come from tests/conftest.py (`admin` is the API's own)."""

import pytest
from rest_framework.test import APIClient

from api.services import api_token_issue
from tests.factories import AdminFactory


def token_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        _, key = api_token_issue(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def admin(db):
    return AdminFactory(username="admin")


@pytest.fixture
def anonymous_api():
    return APIClient()


@pytest.fixture
def user_api(helpdesk_user):
    return token_client(helpdesk_user)


@pytest.fixture
def manager_api(manager):
    return token_client(manager)


@pytest.fixture
def admin_api(admin):
    return token_client(admin)
