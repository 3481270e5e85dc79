"""The web pages' roles, applied to the API (core.roles).

A viewset names the role each kind of action needs:

    read_role = roles.is_helpdesk_user     # list, retrieve and other safe methods
    write_role = roles.is_manager          # create, update, delete and POST actions
    action_roles = {"pdf": roles.is_manager}   # per action, overriding both

Anonymous callers get 401 (TokenAuthentication sends `WWW-Authenticate: Token`),
signed-in callers without the role get 403. Rows a role may not see are filtered
out of the queryset, so they answer 404.
"""

from collections.abc import Callable

from rest_framework.permissions import SAFE_METHODS, BasePermission

from core import roles

RoleCheck = Callable[..., bool]


def required_role(view) -> RoleCheck:
    action_roles: dict[str, RoleCheck] = getattr(view, "action_roles", {})
    action = getattr(view, "action", None)
    if action in action_roles:
        return action_roles[action]
    if view.request.method in SAFE_METHODS:
        return getattr(view, "read_role", roles.is_helpdesk_user)
    return getattr(view, "write_role", roles.is_manager)


class HasRole(BasePermission):
    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False  # DRF turns this into 401 with the authenticate header
        return required_role(view)(request.user)
