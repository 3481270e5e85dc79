"""VAT, registration, IBAN, BIC and electronic addresses, checked with python-stdnum."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from core import identifiers
from core.models import Company


def _message(error: ValidationError, field: str) -> str:
    return " ".join(error.message_dict[field])


def test_a_belgian_vat_number_with_a_wrong_check_digit_is_refused():
    with pytest.raises(ValidationError) as error:
        identifiers.clean_vat("BE0123456789")
    assert "check digits are wrong" in _message(error.value, "vat")


@pytest.mark.parametrize(
    ("typed", "country", "stored"),
    [
        ("BE 0123.456.749", "", "BE0123456749"),
        ("0123456749", "BE", "BE0123456749"),
        ("nl000099998b57", "", "NL000099998B57"),
        ("", "BE", ""),
    ],
)
def test_vat_numbers_are_stored_compact_with_their_prefix(typed, country, stored):
    assert identifiers.clean_vat(typed, country=country) == stored


def test_a_vat_number_without_prefix_or_country_is_refused():
    with pytest.raises(ValidationError) as error:
        identifiers.clean_vat("0123456749")
    assert "country prefix" in _message(error.value, "vat")


def test_the_belgian_enterprise_number_is_checked():
    assert identifiers.clean_registration("0123.456.749", country="BE") == "0123456749"
    with pytest.raises(ValidationError):
        identifiers.clean_registration("0123.456.789", country="BE")
    assert identifiers.clean_registration("HRB 12345", country="DE") == "HRB 12345"


def test_iban_bic_and_electronic_address():
    assert identifiers.clean_iban("BE71 0961 2345 6769") == "BE71096123456769"
    with pytest.raises(ValidationError):
        identifiers.clean_iban("BE71 0961 2345 6768")
    assert identifiers.clean_bic("gkccbebb") == "GKCCBEBB"
    assert identifiers.clean_peppol("0208", "0123.456.749") == ("0208", "0123456749")
    with pytest.raises(ValidationError) as error:
        identifiers.clean_peppol("1234", "x")
    assert "peppol_scheme" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        identifiers.clean_peppol("", "0123456749")
    assert "peppol_scheme" in error.value.message_dict


def test_vat_country_reads_the_prefix():
    assert identifiers.vat_country("NL000099998B57") == "NL"
    assert identifiers.vat_country("EL123456783") == "GR"
    assert identifiers.vat_country("") == ""


@pytest.mark.django_db
def test_the_company_is_seeded_from_settings_once_then_kept():
    with override_settings(COMPANY_NAME="Seeded SRL", COMPANY_CITY="Liège"):
        company = Company.load()
    assert (company.name, company.city, str(company.country)) == ("Seeded SRL", "Liège", "BE")
    company.name = "Renamed SRL"
    company.save()
    with override_settings(COMPANY_NAME="Other SRL"):
        assert Company.load().name == "Renamed SRL"
    assert Company.objects.count() == 1


@pytest.mark.django_db
def test_the_company_refuses_a_wrong_vat_number_and_iban():
    company = Company.load()
    company.vat, company.iban = "BE0123456789", "BE00"
    with pytest.raises(ValidationError) as error:
        company.full_clean()
    assert {"vat", "iban"} <= set(error.value.message_dict)
