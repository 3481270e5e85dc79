"""Response headers that keep the browser to our own assets, the client address, and
idle expiry of sessions without a database write on every request.

`SecurityHeadersMiddleware` adds Content-Security-Policy and Permissions-Policy to every
response (Django's SecurityMiddleware already sends Referrer-Policy,
X-Content-Type-Options and Cross-Origin-Opener-Policy; XFrameOptionsMiddleware sends
X-Frame-Options). A view that needs another policy sets the header itself; it is kept.
"""

import time
from collections.abc import Callable, Mapping

from django.conf import settings
from django.http import HttpRequest, HttpResponse


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
