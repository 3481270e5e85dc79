"""API tokens in the admin: listed by prefix; a new key is shown once, on creation."""

from django.contrib import admin, messages

from api.models import ApiToken
from api.services import api_token_issue


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "created_at", "last_used_on"]
    list_select_related = ["user"]
    search_fields = ["user__username", "name", "prefix"]
    fields = ["user", "name", "prefix", "created_at", "last_used_on"]
    readonly_fields = ["prefix", "created_at", "last_used_on"]
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [*self.readonly_fields, "user"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        token, key = api_token_issue(user=obj.user, name=obj.name)
        obj.pk = token.pk
        obj.refresh_from_db()
        messages.warning(
            request,
            f"The new token is {key} — copy it now: it is stored as a hash and "
            "cannot be shown again.",
        )
