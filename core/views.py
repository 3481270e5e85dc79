"""Shared page plumbing: role decorators, home, login/logout, Configuration, error pages."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods

from core import db, roles
from core.context_processors import app_settings
from core.forms import ConfigurationForm
from core.history import AUDITED, audited_model, record_history
from core.models import AppSettings

View = Callable[..., HttpResponse]


def role_required(check: Callable[..., bool]) -> Callable[[View], View]:
    """Anonymous -> the login page; logged in without the role -> 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("core:login"))
            if not check(request.user):
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


helpdesk_user_required = role_required(roles.is_helpdesk_user)
manager_required = role_required(roles.is_manager)
admin_required = role_required(roles.is_admin)


def timesheets_feature_required(view: View) -> View:
    """Timesheets switched off in Configuration: its pages do not exist (DOMAIN.md rule 1)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not app_settings(request).timesheets_enabled:
            raise Http404("The Timesheets feature is switched off.")
        return view(request, *args, **kwargs)

    return wrapper


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("core:login")
    if roles.is_helpdesk_user(request.user):
        return redirect("helpdesk:team_list")
    if roles.is_admin(request.user):
        return redirect("core:configuration")
    raise PermissionDenied("Your account has no role yet; ask an administrator.")


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("core:login")


@admin_required
@require_http_methods(["GET", "POST"])
def configuration(request: HttpRequest) -> HttpResponse:
    app_settings = AppSettings.load()
    form = ConfigurationForm(request.POST or None, instance=app_settings)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Configuration saved.")
        return redirect("core:configuration")
    return render(request, "core/configuration.html", {"form": form})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"exception": exception}, status=403)


def page_not_found(
    request: HttpRequest,
    exception: Exception | None = None,  # noqa: ARG001 (Django's handler404 signature)
) -> HttpResponse:
    return render(request, "404.html", status=404)


def conflict_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the write lost a lock race too often (core.db); trying again
    shortly works. An htmx request gets the message in the page's message area."""
    context = {"message": db.CONFLICT_MESSAGE}
    if getattr(request, "htmx", False):
        response = render(request, "partials/conflict.html", context, status=503)
        response["HX-Retarget"] = "#messages"
        response["HX-Reswap"] = "innerHTML"
    else:
        response = render(request, "503.html", context, status=503)
    response["Retry-After"] = str(db.RETRY_AFTER_SECONDS)
    return response


@manager_required
def history(request: HttpRequest, label: str, pk: int) -> HttpResponse:
    """The audit trail of one record, for managers."""
    model = audited_model(label)
    if model is None:
        raise Http404("No history is kept for this kind of record.")
    events = record_history(model, pk)
    if not events:
        raise Http404("No history for this record.")
    return render(
        request,
        "core/history.html",
        {"events": events, "kind": AUDITED[label], "pk": pk},
    )
