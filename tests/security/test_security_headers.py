"""Every response carries a Content Security Policy that allows only our own assets,
plus Referrer-Policy, X-Content-Type-Options, Permissions-Policy and X-Frame-Options;
and the pages (ours and the Django admin's) hold nothing such a policy would block."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import AdminFactory, CustomerFactory, StaffUserFactory
from tests.security.inline_code import inline_code
from tests.security.url_walk import plain_urls

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)
EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)


def assert_security_headers(response) -> None:
    assert response["Content-Security-Policy"] == EXPECTED_CSP
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]


def test_the_login_page_carries_the_security_headers(client):
    response = client.get(reverse("core:login"))

    assert response.status_code == 200
    assert_security_headers(response)


def test_a_logged_in_page_carries_the_security_headers(client):
    client.force_login(StaffUserFactory())

    response = client.get(reverse("helpdesk:team_list"))

    assert response.status_code == 200
    assert_security_headers(response)


def test_error_pages_and_redirects_carry_the_security_headers(client):
    assert_security_headers(client.get("/no-such-page/"))
    assert_security_headers(client.get(reverse("helpdesk:team_list")))  # to the login page


def test_the_api_carries_the_security_headers(client):
    client.force_login(StaffUserFactory())

    assert_security_headers(client.get("/api/v1/settings/"))


@pytest.mark.parametrize(
    "url_name",
    ["admin:login", "admin:index", "admin:sales_customer_changelist", "admin:sales_customer_add"],
)
def test_django_admin_pages_work_under_the_policy(client, url_name):
    client.force_login(AdminFactory())

    response = client.get(reverse(url_name))

    assert response.status_code in (200, 302)
    assert_security_headers(response)
    if response.status_code == 200:
        assert inline_code(response.content.decode()) == []


def test_the_admin_change_form_holds_no_inline_script(client):
    client.force_login(AdminFactory())
    customer = CustomerFactory()

    response = client.get(reverse("admin:sales_customer_change", args=[customer.pk]))

    assert response.status_code == 200
    assert_security_headers(response)
    assert inline_code(response.content.decode()) == []


def test_every_page_without_an_id_carries_the_policy_and_holds_no_blocked_code(client):
    """As an administrator (who sees every page), each plain URL answers with the
    headers, and an HTML page holds nothing the policy blocks. Pages with an id:
    test_url_walk.py."""
    client.force_login(AdminFactory())
    problems = []
    for name, url in plain_urls():
        response = client.get(url)
        if response.status_code >= 500:
            problems.append(f"{name} {url}: {response.status_code}")
            continue
        if response.get("Content-Security-Policy") != EXPECTED_CSP:
            problems.append(f"{name} {url}: no Content-Security-Policy")
        html = response.status_code == 200 and response["Content-Type"].startswith("text/html")
        if html and (findings := inline_code(response.content.decode())):
            problems.append(f"{name} {url}: {findings}")

    assert problems == []


def test_pages_tell_htmx_not_to_inject_its_indicator_style(client):
    """htmx adds a <style> element for its indicators unless told not to, and the policy
    blocks it; the indicator rules belong in static/css instead."""
    client.force_login(StaffUserFactory())
    html = client.get(reverse("helpdesk:team_list")).content.decode()
    if "htmx" not in html:
        pytest.skip("the pages do not load htmx")

    config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'', html)

    assert config, "base.html needs <meta name=\"htmx-config\" content='{...}'>"
    assert json.loads(config.group(1)).get("includeIndicatorStyles") is False


def test_a_view_may_set_its_own_policy():
    from django.http import HttpResponse
    from django.test import RequestFactory

    from core.middleware import SecurityHeadersMiddleware

    def view(request):
        response = HttpResponse()
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    response = SecurityHeadersMiddleware(view)(RequestFactory().get("/"))

    assert response["Content-Security-Policy"] == "default-src 'none'"


def _browser_templates() -> list[Path]:
    """Every template a browser renders (PDF templates go to WeasyPrint, not a browser)."""
    roots = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates")]
    return sorted(
        path for root in roots for path in root.rglob("*.html") if "pdf" not in path.parts
    )


def test_our_templates_hold_nothing_the_policy_blocks():
    """Inline `<script>`, `<style>` and `on…=` break under the policy: put styles in a
    stylesheet under static/css/ and behaviour in static/js/app.js instead."""
    offenders = {
        str(path.relative_to(BASE_DIR)): findings
        for path in _browser_templates()
        if (findings := inline_code(path.read_text()))
    }

    assert offenders == {}


def test_the_inline_code_finder_finds_what_the_policy_blocks():
    html = (
        '<div style="color:red"></div><button onclick="go()"></button>'
        "<script>alert(1)</script><style>p{}</style>"
        '<script src="/static/js/app.js"></script><script type="application/json">{}</script>'
    )

    assert len(inline_code(html)) == 3
    assert len(inline_code(html, style_attributes=False)) == 4
