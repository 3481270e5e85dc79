"""The browser tests' live server answers concurrent requests, on SQLite as on PostgreSQL.

A browser fetches a page, its htmx fragments and its assets at once, so the live server
serves several requests at the same time, one thread each. On an in-memory SQLite test
database those threads shared one connection, and two requests' transactions collided
("cannot start a transaction within a transaction"): a 500 now and then.
"""

import urllib.request
from http.client import HTTPResponse

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import ManagerFactory
from tests.threads import run_together

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_concurrent_pages_each_answer_200(live_server):
    client = Client()
    client.force_login(ManagerFactory(username="cora"))
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    def open_pages() -> list[int]:
        statuses = []
        for path in ("/helpdesk/", "/helpdesk/tickets/new/", "/sales/", "/helpdesk/tickets/"):
            request = urllib.request.Request(live_server.url + path, headers={"Cookie": cookie})
            try:
                response: HTTPResponse = urllib.request.urlopen(request, timeout=60)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
            else:
                with response:
                    response.read()
                    statuses.append(response.status)
        return statuses

    results = run_together([open_pages] * 6)
    assert results == [[200, 200, 200, 200]] * 6
