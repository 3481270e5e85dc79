"""`Authorization: Token <key>`, checked against the stored hash (api.models.ApiToken)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from api.models import ApiToken, token_digest


class HashedTokenAuthentication(TokenAuthentication):
    model = ApiToken

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        today = timezone.localdate()
        if token.last_used_on != today:
            # Once a day at most: a write per request would make every read a write.
            ApiToken.objects.filter(pk=token.pk).update(last_used_on=today)
        return token.user, token
