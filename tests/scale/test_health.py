"""/healthz: 200 when the database (and the broker, if configured) answer; else 503."""

import pytest
from django.db import OperationalError, connections

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.scale.urls")]


def test_it_is_healthy_with_a_database_and_no_broker(client, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "not configured"},
    }


def test_it_answers_503_when_the_database_is_down(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""

    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", down)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error"


def test_it_answers_503_when_the_broker_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "checks": {"database": "ok", "broker": "error"},
    }
