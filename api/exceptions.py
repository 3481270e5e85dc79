"""How service errors become API responses.

- `django.core.exceptions.ValidationError` (bad input) -> 400 `{field: [messages]}`;
  errors not tied to a field go under `non_field_errors`, like DRF's own.
- `core.errors.ConflictError` (the record's state forbids the change) -> 409 `{"detail": ...}`.
- A protected or constrained row (`ProtectedError`, `IntegrityError`) -> 409 too: the
  input was well formed, other records depend on this one.
- `OverflowError` (a number too large for the database) -> 400, never a 500.
- A body over DATA_UPLOAD_MAX_MEMORY_SIZE (`RequestDataTooBig`) -> 413, and Django's
  other refusals of a request (`SuspiciousOperation`: too many fields, a broken
  multipart body) -> 400, both as JSON instead of Django's HTML error page.
- A lost lock race (deadlock, serialization failure: `core.db.is_conflict`) -> 503 with
  Retry-After, noted on the request so `core.middleware.ConflictRetryMiddleware` runs
  the request again first; the user sees the 503 only when every attempt lost.

The request transaction is marked for rollback every time, so nothing is half-written.
A view outside the request transaction (the billing run commits batch by batch) has
none to mark, and an enclosing atomic block is not its to roll back.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connections
from django.db.models import ProtectedError, RestrictedError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core import db
from core.errors import ConflictError

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


def validation_error_body(
    exc: DjangoValidationError, field_names: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """`{field: [messages]}` with model field names renamed to the API's (`employee` -> `user`)."""
    field_names = field_names or {}
    if not hasattr(exc, "error_dict"):
        return {NON_FIELD: list(exc.messages)}
    body: dict[str, list[str]] = {}
    for field, messages in exc.message_dict.items():
        key = NON_FIELD if field == "__all__" else field_names.get(field, field)
        body.setdefault(key, []).extend(messages)
    return body


def conflict_detail(exc: DjangoValidationError) -> str:
    return " ".join(exc.messages)


def api_exception_handler(exc, context):
    if not _in_request_transaction(context):
        atomic = [c for c in connections.all(initialized_only=True) if c.in_atomic_block]
        marked = [(c, c.needs_rollback) for c in atomic]
        try:
            return _handle(exc, context)
        finally:
            for connection, needs_rollback in marked:
                connection.set_rollback(needs_rollback)
    return _handle(exc, context)


def _in_request_transaction(context) -> bool:
    request = getattr(context.get("request"), "_request", None)
    view = getattr(getattr(request, "resolver_match", None), "func", None)
    return "default" not in getattr(view, "_non_atomic_requests", ())


def _handle(exc, context):
    view = context.get("view")
    field_names = getattr(view, "error_field_names", None)
    if db.is_conflict(exc):
        request = getattr(context.get("request"), "_request", None)
        if request is not None:
            db.note_request_conflict(request, exc)
        set_rollback()
        headers = {"Retry-After": str(db.RETRY_AFTER_SECONDS)}
        return Response(
            {"detail": db.CONFLICT_MESSAGE},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers=headers,
        )
    if isinstance(exc, ConflictError):
        body, code = {"detail": conflict_detail(exc)}, status.HTTP_409_CONFLICT
    elif isinstance(exc, DjangoValidationError):
        body, code = validation_error_body(exc, field_names), status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, ProtectedError | RestrictedError):
        body = {"detail": "Other records still use this one, so it cannot be deleted."}
        code = status.HTTP_409_CONFLICT
    elif isinstance(exc, IntegrityError):
        body = {"detail": "This change conflicts with an existing record."}
        code = status.HTTP_409_CONFLICT
    elif isinstance(exc, OverflowError):
        body, code = {NON_FIELD: ["A number is out of range."]}, status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = {"detail": f"The request body is larger than the {limit:,}-byte limit."}
        code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    elif isinstance(exc, SuspiciousOperation):
        body, code = {"detail": "The request is malformed."}, status.HTTP_400_BAD_REQUEST
    else:
        return drf_exception_handler(exc, context)
    set_rollback()
    return Response(body, status=code)
