"""Authentication backend: the logged-in user and their roles in one query.

Every page asks for the user's roles (core.roles); ModelBackend would load the user,
then the roles would cost a second query on each request. Here `get_user` reads the
role groups as EXISTS columns of the user's row and fills the roles' cache.

Administrators (the role group, not Django's *Staff status*) hold every model
permission in the Django admin, as a superuser does.
"""

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
