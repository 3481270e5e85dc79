"""Issuing and revoking API tokens."""

import secrets

from django.db import transaction

from api.models import ApiToken, token_digest


@transaction.atomic
def api_token_issue(*, user, name: str = "", revoke_others: bool = False) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the record and the key, which is not stored and
    cannot be shown again. `revoke_others` deletes the user's earlier tokens."""
    if revoke_others:
        ApiToken.objects.filter(user=user).delete()
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(user=user, name=name, digest=token_digest(key), prefix=key[:8])
    return token, key
