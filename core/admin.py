"""Admin for the feature switches and the Company, plus the base class every service-backed
admin uses.

Admin writes that move hours or touch orders go through the services, which raise
`ValidationError` (or `ConflictError`) when the input or the record's state forbids
the change. `ServiceAdmin` turns those into form errors and messages instead of a 500,
and rolls back whatever the failed request had written.
"""

from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse

from core.models import AppSettings, Company, Sequence


def error_messages(error: ValidationError) -> list[str]:
    """Readable messages, naming the field when the error belongs to one."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    result = []
    for field, errors in error.error_dict.items():
        for message in ValidationError(errors).messages:
            if field == NON_FIELD_ERRORS:
                result.append(message)
            else:
                result.append(f"{field.replace('_', ' ').capitalize()}: {message}")
    return result


def _add_to_form(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        if field in form.fields:
            form.add_error(field, errors)
        else:
            for message in error_messages(ValidationError({field: errors})):
                form.add_error(None, message)


class ServiceAdmin(admin.ModelAdmin):
    """A ModelAdmin whose writes go through services (override the save/delete hooks).

    When a service refuses a save, the whole attempt is rolled back and the form is
    shown again with the service's error on it. A refused delete or action becomes an
    error message.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # Django's own atomic block rolled the attempt back; show the form again.
            request._service_error = error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        error = getattr(request, "_service_error", None)
        if error is None:
            return form_class

        class FormWithServiceError(form_class):
            def clean(self):
                cleaned_data = super().clean()
                _add_to_form(self, error)
                return cleaned_data

        return FormWithServiceError

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self._message_errors(request, error)
            return HttpResponseRedirect(request.path)

    def changelist_view(self, request, extra_context=None):
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        try:
            with transaction.atomic():
                return super().changelist_view(request, extra_context)
        except ValidationError as error:
            self._message_errors(request, error)
            return HttpResponseRedirect(request.get_full_path())

    def _message_errors(self, request, error: ValidationError) -> None:
        for message in error_messages(error):
            self.message_user(request, message, messages.ERROR)

    @staticmethod
    def adopt(obj, saved) -> None:
        """Make the admin's unsaved `obj` stand for the row a service created."""
        obj.pk = saved.pk
        obj._state.adding = False
        obj._state.db = saved._state.db
        obj.refresh_from_db()


@admin.register(AppSettings)
class AppSettingsAdmin(admin.ModelAdmin):
    """The single Settings row: switches only, never added or deleted."""

    list_display = ["__str__", "timesheets_enabled", "uom_enabled", "timesheets_locked_up_to"]
    fieldsets = [
        ("Project settings", {"fields": ["timesheets_enabled"]}),
        ("Sales settings", {"fields": ["uom_enabled"]}),
        ("Locks", {"fields": ["timesheets_locked_up_to"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        settings_row = AppSettings.load()
        return HttpResponseRedirect(
            reverse("admin:core_appsettings_change", args=[settings_row.pk])
        )


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    """The seller (one row, seeded from the `COMPANY_*` settings), edited in place.

    The model's `clean()` checks the identifiers (python-stdnum) and stores them compact;
    invoices already posted keep the seller they were posted with.
    """

    fieldsets = [
        (None, {"fields": ["name", "logo"]}),
        ("Address", {"fields": ["street", "street2", "zip", "city", "country"]}),
        (
            "Identifiers",
            {"fields": ["vat", "company_registration", "peppol_scheme", "peppol_id"]},
        ),
        ("Payment", {"fields": ["iban", "bic"]}),
        ("Contact", {"fields": ["email", "phone"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return False  # Company.load() makes the row the first time anything reads it

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        company = Company.load()
        return HttpResponseRedirect(reverse("admin:core_company_change", args=[company.pk]))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that are shown in the admin but written only by the application."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Sequence)
class SequenceAdmin(ReadOnlyAdmin):
    """Numbering counters: shown, never edited (a gap would break the numbering)."""

    list_display = ["code", "year", "last_number"]
    list_filter = ["code", "year"]
    search_fields = ["code"]
