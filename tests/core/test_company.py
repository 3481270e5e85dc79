"""The Company (the seller, DOMAIN.md rule 42): seeded valid from the settings, one row
edited in place by admins, identifiers checked with python-stdnum."""

import pytest
from django.urls import reverse

from core.models import Company
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory(username="root"))
    return client


def _form(company: Company, **changes) -> dict:
    fields = [
        "name", "street", "street2", "zip", "city", "country", "vat", "company_registration",
        "peppol_scheme", "peppol_id", "iban", "bic", "email", "phone",
    ]  # fmt: skip
    return {**{name: str(getattr(company, name)) for name in fields}, **changes}


def test_the_company_seeded_from_the_settings_is_valid():
    company = Company.load()

    company.full_clean()

    assert (company.pk, company.country, company.vat) == (1, "BE", "BE0123456749")
    assert (company.peppol_scheme, company.peppol_id) == ("0208", "0123456749")
    assert company.iban and company.bic


def test_the_admin_edits_the_one_company_in_place(admin_client):
    changelist = admin_client.get(reverse("admin:core_company_changelist"))
    assert changelist.status_code == 302
    assert changelist.url == reverse("admin:core_company_change", args=[1])
    company = Company.load()

    response = admin_client.post(
        reverse("admin:core_company_change", args=[1]),
        _form(company, name="Helpdesk Heroes SRL", vat="BE 0123.456.749", bic="gkccbebb"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    company = Company.load()
    assert (company.name, company.vat, company.bic) == (
        "Helpdesk Heroes SRL",
        "BE0123456749",
        "GKCCBEBB",
    )
    assert Company.objects.count() == 1
    assert admin_client.get(reverse("admin:core_company_add")).status_code == 403
    delete = admin_client.get(reverse("admin:core_company_delete", args=[1]))
    assert delete.status_code == 403


def test_the_admin_refuses_a_wrong_check_digit_with_a_message(admin_client):
    company = Company.load()

    response = admin_client.post(
        reverse("admin:core_company_change", args=[1]), _form(company, vat="BE0123456748")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["vat"] == [
        "BE0123456748 is not a valid BE VAT number: its check digits are wrong."
    ]
    assert Company.load().vat == "BE0123456749"


def test_configuration_links_to_the_company(admin_client):
    html = admin_client.get(reverse("core:configuration")).content.decode()
    assert 'href="/admin/core/company/"' in html
