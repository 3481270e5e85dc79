"""Response headers that keep the browser to our own assets, the client address, idle
expiry of sessions without a database write on every request, and requests run again
when their transaction lost a lock race.

`SecurityHeadersMiddleware` adds Content-Security-Policy and Permissions-Policy to every
response (Django's SecurityMiddleware already sends Referrer-Policy,
X-Content-Type-Options and Cross-Origin-Opener-Policy; XFrameOptionsMiddleware sends
X-Frame-Options). A view that needs another policy sets the header itself; it is kept.
"""

import logging
import time
from collections.abc import Callable, Mapping

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

from core import db
from core.views import conflict_response

logger = logging.getLogger("core.db")


def serialize_policy(directives: Mapping[str, list[str]]) -> str:
    """`{"default-src": ["'self'"]}` -> "default-src 'self'" (directives joined by '; ')."""
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def serialize_permissions(features: Mapping[str, list[str]]) -> str:
    """`{"camera": []}` -> "camera=()"; `{"fullscreen": ["self"]}` -> "fullscreen=(self)"."""
    return ", ".join(f"{name}=({' '.join(origins)})" for name, origins in features.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csp = serialize_policy(settings.CONTENT_SECURITY_POLICY)
        self.permissions = serialize_permissions(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", self.permissions)
        return response


def client_ip(request: HttpRequest) -> str | None:
    """The address login throttling counts failures for (django-axes' AXES_CLIENT_IP_CALLABLE).

    REMOTE_ADDR, unless TRUSTED_PROXY_COUNT reverse proxies stand in front of the app:
    then the address the outermost trusted proxy saw, counted from the right of
    X-Forwarded-For, so a client cannot pick its own address by sending the header.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if proxies > 0 and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


class SessionRefreshMiddleware:
    """Push a session's expiry forward at most once per SESSION_REFRESH_SECONDS.

    Sessions expire after SESSION_COOKIE_AGE of idleness. SESSION_SAVE_EVERY_REQUEST
    would get that by an UPDATE and a commit (a WAL flush) on every page; here a request
    marks the session modified only when its last refresh is older than
    SESSION_REFRESH_SECONDS, and SessionMiddleware (listed before this one, so it runs
    after it on the way out) saves it and sends a fresh cookie. An idle session thus
    expires between SESSION_COOKIE_AGE - SESSION_REFRESH_SECONDS and SESSION_COOKIE_AGE
    after its last request. Sessions the request did not read (health checks, static
    files) and empty ones are left alone.
    """

    KEY = "_refreshed_at"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.interval = settings.SESSION_REFRESH_SECONDS

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only a session this request has already read (a logged-in page): reading one
        # here would cost a query, and could not run after a failed query anyway.
        data = getattr(session, "_session_cache", None)
        if not data:
            return response
        now = int(time.time())
        if now - data.get(self.KEY, 0) >= self.interval:
            session[self.KEY] = now
        return response


class ConflictRetryMiddleware:
    """Run a request again when its transaction lost a lock race (core.db); 503 if it
    keeps losing.

    With ATOMIC_REQUESTS the request's transaction is the outermost one, so it is the
    request that runs again: a page view raised the deadlock (`process_exception`, after
    Django's atomic block rolled it back), or the API's exception handler answered it
    and noted it on the request (`core.db.note_request_conflict`). Up to
    `core.db.ATTEMPTS` attempts, with the same user and body; the last one's 503 (with
    Retry-After; the API's is JSON) is what the user gets, never a 500. Not run again:
    views outside the request transaction (`non_atomic_requests`: they may have
    committed part of their work), requests inside an enclosing transaction (a test's),
    and bodies that cannot be read twice (multipart, or too large to keep).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        connection = connections[DEFAULT_DB_ALIAS]
        replayable = (
            connection.settings_dict.get("ATOMIC_REQUESTS", False)
            and not connection.in_atomic_block
            and _keep_body(request)
        )
        attempt = 1
        while True:
            request.db_conflict = None
            response = self.get_response(request)
            conflict = request.db_conflict
            if conflict is None or not replayable or not _in_request_transaction(request):
                return response
            if attempt == db.ATTEMPTS:
                logger.warning(
                    "%s %s lost %d lock races, answered 503: %s",
                    request.method,
                    request.path,
                    attempt,
                    db.describe(conflict),
                )
                return response
            logger.warning(
                "%s %s lost a lock race (attempt %d of %d), running it again: %s",
                request.method,
                request.path,
                attempt,
                db.ATTEMPTS,
                db.describe(conflict),
            )
            db.pause_before_retry(attempt)
            attempt += 1

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not db.is_conflict(exception):
            return None
        db.note_request_conflict(request, exception)
        return conflict_response(request)


def _keep_body(request: HttpRequest) -> bool:
    """Read the body into memory now, so a second attempt can parse it again."""
    if request.content_type == "multipart/form-data":
        return False
    try:
        request.body  # noqa: B018 - cached on the request for the next attempt
    except RequestDataTooBig:
        return False  # nothing was read: the view refuses it as it would have
    return True


def _in_request_transaction(request: HttpRequest) -> bool:
    view = getattr(getattr(request, "resolver_match", None), "func", None)
    return DEFAULT_DB_ALIAS not in getattr(view, "_non_atomic_requests", set())
