"""The three roles, each a group: Helpdesk User, Manager, Administrator (made by migrations).

A role comes from its group alone. Django's *Staff status* grants nothing here: ticking it
on a Helpdesk User must not make them an administrator. The one exception is
`is_superuser`, Django's own "every permission" flag, which counts as Administrator.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

HELPDESK_USER = "Helpdesk User"
MANAGER = "Manager"
ADMINISTRATOR = "Administrator"
ROLE_GROUPS = (HELPDESK_USER, MANAGER, ADMINISTRATOR)


def remember_role_groups(user, names: set[str]) -> None:
    """The role groups of `user`, read with the user (core.auth): no query of their own."""
    user._role_groups = set(names)


def _groups(user) -> set[str]:
    cache = getattr(user, "_role_groups", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True)) if user.is_authenticated else set()
        user._role_groups = cache
    return cache


def is_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or ADMINISTRATOR in _groups(user))
    )


def is_manager(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and (is_admin(user) or MANAGER in _groups(user)))


def is_helpdesk_user(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and (is_manager(user) or HELPDESK_USER in _groups(user)))
