from core import roles
from core.models import AppSettings


def app_context(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "features": AppSettings.load(),
        "is_manager": roles.is_manager(user),
        "is_admin": roles.is_admin(user),
    }
