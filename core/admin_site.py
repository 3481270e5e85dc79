"""The Django admin, open to the Administrator role (core.roles) instead of *Staff status*."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from core import roles


class AdministratorAuthenticationForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        if not user.is_active or not roles.is_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class BillableAdminSite(admin.AdminSite):
    login_form = AdministratorAuthenticationForm

    def has_permission(self, request):
        return roles.is_admin(request.user)
