"""API tokens, stored as a hash: the key itself is shown once, when it is issued."""

import hashlib

from django.conf import settings
from django.db import models


def token_digest(key: str) -> str:
    """SHA-256 of the key. Keys are 40 random characters, so a fast hash is enough: there
    is nothing to guess by brute force, and a lookup must be one indexed query."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters, so a person can tell their tokens apart; never enough to use.
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
