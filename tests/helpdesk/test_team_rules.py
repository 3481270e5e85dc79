"""A team with Timesheet on Ticket needs a project that allows timesheets (DOMAIN.md rule 3)."""

import pytest
from django.core.exceptions import ValidationError

from helpdesk.models import HelpdeskTeam
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def _project_error(team: HelpdeskTeam) -> str:
    with pytest.raises(ValidationError) as error:
        team.full_clean()
    return " ".join(error.value.message_dict["project"])


def test_timesheet_on_ticket_requires_a_project():
    team = HelpdeskTeam(name="Care", use_timesheets=True, project=None)

    assert "needs a project" in _project_error(team)


def test_timesheet_on_ticket_requires_a_project_that_allows_timesheets():
    project = ProjectFactory(name="Internal", allow_timesheets=False)
    team = HelpdeskTeam(name="Care", use_timesheets=True, project=project)

    message = _project_error(team)

    assert "Internal" in message
    assert "does not allow timesheets" in message


def test_a_project_that_allows_timesheets_is_accepted():
    team = HelpdeskTeam(name="Care", use_timesheets=True, project=ProjectFactory())

    team.full_clean()


@pytest.mark.parametrize("allow_timesheets", [True, False])
def test_without_timesheet_on_ticket_any_project_or_none_is_fine(allow_timesheets):
    HelpdeskTeam(name="Care", use_timesheets=False).full_clean()
    HelpdeskTeam(
        name="Care 2",
        use_timesheets=False,
        project=ProjectFactory(allow_timesheets=allow_timesheets),
    ).full_clean()
