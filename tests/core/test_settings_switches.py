"""The feature switches are one database row, editable but never duplicated."""

import pytest

from core.models import AppSettings

pytestmark = pytest.mark.django_db


def test_a_migration_creates_the_settings_with_both_features_on():
    settings_row = AppSettings.objects.get()

    assert settings_row.pk == 1
    assert settings_row.timesheets_enabled
    assert settings_row.uom_enabled


def test_saving_another_settings_object_updates_the_single_row():
    AppSettings(timesheets_enabled=False, uom_enabled=True).save()

    assert AppSettings.objects.count() == 1
    assert AppSettings.load().timesheets_enabled is False


def test_load_recreates_the_row_if_it_was_removed():
    AppSettings.objects.all().delete()

    settings_row = AppSettings.load()

    assert settings_row.pk == 1
    assert AppSettings.objects.count() == 1
