"""`/healthz` for load balancers and orchestrators: the database and the broker answer.

200 {"status": "ok", ...} when every check passes, else 503 with the failing check.
No login, no session, no transaction (ATOMIC_REQUESTS would need the database
before the view could report it down).
"""

import logging

from celery import current_app
from django.conf import settings
from django.db import connections, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def database_ok() -> bool:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("Health check: the database does not answer.")
        return False


def broker_ok() -> bool | None:
    """None when no broker is configured (tasks run in-process)."""
    if not settings.CELERY_BROKER_URL:
        return None
    try:
        # The project's app (config/celery.py, loaded by config/__init__.py).
        with current_app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
        return True
    except Exception:
        logger.exception("Health check: the broker does not answer.")
        return False


@transaction.non_atomic_requests
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:  # noqa: ARG001 (a view takes the request)
    checks = {"database": database_ok(), "broker": broker_ok()}
    healthy = all(result is not False for result in checks.values())
    body = {
        "status": "ok" if healthy else "error",
        "checks": {
            name: "not configured" if result is None else ("ok" if result else "error")
            for name, result in checks.items()
        },
    }
    return JsonResponse(body, status=200 if healthy else 503)
