"""Layout, login / logout, Configuration, 403 / 404 pages and the display filters."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AppSettings
from core.templatetags.billable import hm, money
from tests.web.conftest import HTMX

pytestmark = pytest.mark.django_db

PAGES = [
    ("helpdesk:team_list", []),
    ("helpdesk:ticket_list", []),
    ("helpdesk:ticket_create", []),
    ("projects:project_list", []),
    ("timesheets:my_week", []),
    ("timesheets:all", []),
    ("core:configuration", []),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, features, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('core:login')}?next={url}"


def test_a_user_logs_in_with_the_login_page_and_lands_on_the_helpdesk(client, helpdesk_user):
    response = client.post(reverse("core:login"), {"username": "hugo", "password": "pass"})
    assert response.status_code == 302
    assert client.get(response["Location"]).url == reverse("helpdesk:team_list")


def test_a_wrong_password_shows_an_error_on_the_login_page(client, helpdesk_user):
    response = client.post(reverse("core:login"), {"username": "hugo", "password": "nope"})
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()


def test_every_page_says_who_is_logged_in_with_a_log_out_button(as_user, helpdesk_user, features):
    page = as_user(helpdesk_user).get(reverse("helpdesk:team_list")).content.decode()
    assert "Hugo Helper" in page
    assert f'action="{reverse("core:logout")}"' in page
    assert "Log out" in page


def test_log_out_is_a_post_and_ends_the_session(as_user, helpdesk_user, features):
    client = as_user(helpdesk_user)
    assert client.get(reverse("core:logout")).status_code == 405
    response = client.post(reverse("core:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:login")
    assert client.get(reverse("helpdesk:team_list")).status_code == 302


def test_the_navigation_follows_the_role(as_user, helpdesk_user, manager, site_admin, features):
    user_page = as_user(helpdesk_user).get(reverse("helpdesk:team_list")).content.decode()
    for word in ("Helpdesk", "Project", "Timesheets"):
        assert f">{word}</a>" in user_page
    for word in ("Sales", "Invoicing", "Configuration"):
        assert f">{word}</a>" not in user_page
    manager_page = as_user(manager).get(reverse("helpdesk:team_list")).content.decode()
    assert ">Sales</a>" in manager_page and ">Invoicing</a>" in manager_page
    assert ">Configuration</a>" not in manager_page
    admin_page = as_user(site_admin).get(reverse("helpdesk:team_list")).content.decode()
    assert ">Configuration</a>" in admin_page


def test_home_sends_each_role_to_its_start_page(as_user, helpdesk_user, site_admin, no_role_user):
    assert as_user(helpdesk_user).get("/").url == reverse("helpdesk:team_list")
    assert as_user(no_role_user).get("/").status_code == 403


def test_configuration_is_for_admins_only(as_user, helpdesk_user, manager, site_admin, features):
    url = reverse("core:configuration")
    assert as_user(helpdesk_user).get(url).status_code == 403
    assert as_user(manager).post(url, {"timesheets_enabled": ""}).status_code == 403
    assert AppSettings.load().timesheets_enabled is True
    page = as_user(site_admin).get(url).content.decode()
    assert "Timesheets" in page and "Units of Measure" in page
    assert "/admin/helpdesk/helpdeskteam/" in page and "/admin/sales/product/" in page


def test_an_admin_switches_the_features_off_and_on(as_user, site_admin, features):
    client = as_user(site_admin)
    response = client.post(reverse("core:configuration"), {"uom_enabled": "on"})
    assert response.status_code == 302
    settings = AppSettings.load()
    assert (settings.timesheets_enabled, settings.uom_enabled) == (False, True)
    client.post(reverse("core:configuration"), {"timesheets_enabled": "on"})
    settings = AppSettings.load()
    assert (settings.timesheets_enabled, settings.uom_enabled) == (True, False)


def test_the_403_page_is_in_the_app_style(as_user, helpdesk_user, features):
    response = as_user(helpdesk_user).get(reverse("timesheets:all"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "You may not do this" in page
    assert "css/app.css" in page and "Hugo Helper" in page


def test_the_404_page_is_in_the_app_style(as_user, helpdesk_user, features):
    response = as_user(helpdesk_user).get("/helpdesk/tickets/999999/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "css/app.css" in response.content.decode()


def test_with_timesheets_off_there_are_no_timesheet_pages(as_user, manager, world):
    AppSettings.objects.filter(pk=1).update(timesheets_enabled=False)
    client = as_user(manager)
    page = client.get(reverse("helpdesk:team_list")).content.decode()
    assert ">Timesheets</a>" not in page
    for url in (
        reverse("timesheets:my_week"),
        reverse("timesheets:all"),
        reverse("timesheets:export_csv"),
        reverse("timesheets:ticket_entries", args=[world.ticket.pk]),
        reverse("timesheets:task_entries", args=[world.task.pk]),
    ):
        assert client.get(url, **HTMX).status_code == 404, url
    ticket_page = client.get(reverse("helpdesk:ticket_detail", args=[world.ticket.pk]))
    assert 'id="tab-timesheets"' not in ticket_page.content.decode()


def test_the_page_loads_htmx_from_django_htmx_and_no_cdn(as_user, helpdesk_user, features):
    page = as_user(helpdesk_user).get(reverse("helpdesk:team_list")).content.decode()
    assert "django_htmx/htmx" in page
    assert "https://" not in page.split("<body")[0]


def test_hm_shows_minutes_as_hours_and_minutes_with_negatives():
    assert hm(90) == "1:30"
    assert hm(0) == "0:00"
    assert hm(-60) == "-1:00"
    assert hm(None) == "0:00"


def test_money_rounds_half_up_and_groups_thousands(settings):
    settings.CURRENCY = "EUR"
    assert money(Decimal("1200")) == "1,200.00 EUR"
    assert money(Decimal("0.125")) == "0.13 EUR"
