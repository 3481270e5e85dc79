"""Authentication backend: the logged-in user and their roles in one query.

Every page asks for the user's roles (core.roles); ModelBackend would load the user,
then the roles would cost a second query on each request. Here `get_user` reads the
role groups as EXISTS columns of the user's row and fills the roles' cache.

Administrators (the role group, not Django's *Staff status*) hold every model
permission in the Django admin, as a superuser does.

`throttle_username` is the username login throttling (django-axes) counts failures for.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef

from core import roles

_ROLE_COLUMNS = {
    roles.MANAGER: "in_manager_group",
    roles.HELPDESK_USER: "in_helpdesk_group",
    roles.ADMINISTRATOR: "in_admin_group",
}


class RolesModelBackend(ModelBackend):
    def get_user(self, user_id):
        User = get_user_model()
        memberships = User.groups.through.objects.filter(user_id=OuterRef("pk"))
        user = (
            User._default_manager.annotate(
                **{
                    column: Exists(memberships.filter(group__name=name))
                    for name, column in _ROLE_COLUMNS.items()
                }
            )
            .filter(pk=user_id)
            .first()
        )
        if user is None or not self.user_can_authenticate(user):
            return None
        roles.remember_role_groups(
            user, {name for name, column in _ROLE_COLUMNS.items() if getattr(user, column)}
        )
        return user

    def has_perm(self, user_obj, perm, obj=None):
        if roles.is_admin(user_obj):
            return True
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj, app_label):
        if roles.is_admin(user_obj):
            return True
        return super().has_module_perms(user_obj, app_label)


def throttle_username(request, credentials: dict | None = None) -> str | None:
    """The username django-axes counts failed logins for (AXES_USERNAME_CALLABLE).

    What axes reads by default (the credentials, else the posted form), cut to the
    longest username an account can have: axes stores it in a 255-character column,
    and a 100,000-character one made every login page a 500. No account has a longer
    name, so the cut merges no real user's counter with another's.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    elif request is not None:
        username = getattr(request, "data", request.POST).get(field)
    else:
        username = None
    if not isinstance(username, str):
        return username
    User = get_user_model()
    return username[: User._meta.get_field(User.USERNAME_FIELD).max_length]
