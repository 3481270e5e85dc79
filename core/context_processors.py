from core import roles
from core.models import AppSettings


def app_settings(request) -> AppSettings:
    """The settings row, read once per request (the feature check, the view and the
    templates' `features` all ask for it)."""
    row = getattr(request, "_app_settings", None)
    if row is None:
        row = request._app_settings = AppSettings.load()
    return row


def app_context(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "features": app_settings(request),
        "is_manager": roles.is_manager(user),
        "is_admin": roles.is_admin(user),
    }
