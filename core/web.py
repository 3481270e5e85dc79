"""Helpers every app's views share: a button POST run through a service, a page of a
list, a service's ValidationError shown as messages."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

PAGE_SIZE = 25


def flash_error(request: HttpRequest, error: ValidationError) -> None:
    """Each of a service's error messages as a message on the next page."""
    for text in error.messages:
        messages.error(request, text)


def flash_form_errors(request: HttpRequest, form: BaseForm) -> None:
    """A button's little form that failed to validate: its errors as messages."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def paginate(request: HttpRequest, queryset, size: int = PAGE_SIZE) -> Page:
    """The page `?page=` asks for (the last when past it, the first when not a number)."""
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def run_action(
    request: HttpRequest, service: Callable[..., Any], *, done: str, next_url: str, **target
) -> HttpResponse:
    """A button POST: call the service on the target, say what happened, go back to its page."""
    try:
        result = service(**target, actor=request.user)
    except ValidationError as error:
        flash_error(request, error)
    else:
        messages.success(request, done.format(result))
    return redirect(next_url)
