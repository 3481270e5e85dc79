"""The OpenAPI schema is valid OpenAPI 3 and the docs page needs nothing from the network."""

import re

import pytest
import yaml
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

CONTRACT_PATHS = [
    "/api/v1/settings/",
    "/api/v1/uoms/",
    "/api/v1/customers/",
    "/api/v1/products/",
    "/api/v1/projects/",
    "/api/v1/teams/",
    "/api/v1/orders/",
    "/api/v1/orders/{id}/confirm/",
    "/api/v1/orders/{id}/cancel/",
    "/api/v1/orders/{id}/create-invoice/",
    "/api/v1/tasks/",
    "/api/v1/tickets/{id}/",
    "/api/v1/timesheets/",
    "/api/v1/timesheets/approve/",
    "/api/v1/work-types/",
    "/api/v1/work-types/{id}/",
    "/api/v1/invoices/",
    "/api/v1/invoices/{id}/validate/",
    "/api/v1/invoices/{id}/cancel/",
    "/api/v1/invoices/{id}/credit-note/",
    "/api/v1/invoices/{id}/payments/",
    "/api/v1/invoices/{id}/pdf/",
    "/api/v1/invoices/invoice-all/",
]


@pytest.fixture
def signed_in(client):
    client.force_login(StaffUserFactory())
    return client


@pytest.fixture
def served_schema(signed_in):
    response = signed_in.get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_served_schema_is_valid_openapi_3(served_schema):
    assert served_schema["openapi"].startswith("3.")
    validate_schema(served_schema)  # drf-spectacular's bundled OpenAPI 3 JSON Schema
    try:
        from openapi_spec_validator import validate
    except ImportError:
        return
    validate(served_schema)


def test_the_schema_documents_every_contract_path(served_schema):
    missing = [path for path in CONTRACT_PATHS if path not in served_schema["paths"]]
    assert missing == []


def test_the_schema_names_the_contract_fields(served_schema):
    schemas = served_schema["components"]["schemas"]
    assert set(schemas["Timesheet"]["properties"]) >= {
        "id", "date", "user", "project", "task", "ticket", "description", "minutes",
        "sale_line", "invoice", "billable",
    }  # fmt: skip
    assert set(schemas["Invoice"]["properties"]) >= {
        "id", "number", "type", "state", "payment_state", "customer", "invoice_date",
        "due_date", "amount_untaxed", "amount_tax", "amount_total", "amount_due",
        "reversed_invoice", "lines",
    }  # fmt: skip
    assert set(schemas["Timesheet"]["properties"]) >= {
        "work_type", "billing", "billed_minutes", "billed_minutes_override", "adjust_reason",
        "adjusted_by", "adjusted_at", "approval_state",
    }  # fmt: skip
    assert set(schemas["WorkType"]["properties"]) == {"id", "name", "billing", "active"}
    rounding = {"rounding_increment", "rounding_mode", "minimum_minutes"}
    assert set(schemas["Product"]["properties"]) >= rounding
    assert set(schemas["OrderLine"]["properties"]) >= rounding | {
        "rate_work_type", "rate_employee", "qty_written_down",
    }  # fmt: skip
    assert set(schemas["Team"]["properties"]) >= {"default_work_type", "approve_time"}
    assert set(schemas["Settings"]["properties"]) >= {
        "timesheets_locked_until", "timesheets_locked_up_to",
    }  # fmt: skip
    timesheet = schemas["Timesheet"]["properties"]
    assert timesheet["billed_minutes"].get("readOnly") is True
    assert timesheet["approval_state"].get("readOnly") is True
    assert timesheet["minutes"]["type"] == "integer"
    assert schemas["Order"]["properties"]["amount_total"]["type"] == "string"


def test_every_operation_documents_its_error_answers(served_schema):
    for path, item in served_schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"400", "401", "403", "404"} <= codes, (method, path)


def test_generation_raises_no_warning():
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS  # true when a warning or error was emitted


def test_the_docs_page_lists_the_operations_with_no_external_asset(signed_in):
    response = signed_in.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/timesheets/" in html
    assert "/api/v1/invoices/{id}/pdf/" in html
    assert "Authorization: Token" in html
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?//""", html)
    assert "<script" not in html.lower()


def test_the_schema_and_docs_refuse_anonymous_callers(client):
    assert client.get("/api/v1/schema/").status_code == 401
    response = client.get("/api/v1/docs/")
    assert response.status_code == 302 and "/login" in response["Location"]
