"""Signals helpdesk sends for upper apps (timesheets)."""

from django.dispatch import Signal

# ticket=<Ticket>, old_task=<Task | None>, actor=<User | None>: the ticket now points at
# another task (rule 13); `actor` made the change (the moved entries' history names them).
ticket_task_changed = Signal()

# ticket=<Ticket>, old_team=<HelpdeskTeam>, actor=<User | None>: the ticket moved to
# another team, whose project its uninvoiced entries now belong to (rule 10).
ticket_team_changed = Signal()

# monday=<date>, sunday=<date>: sent by the teams overview; a receiver answers
# {team id: minutes logged on the team's tickets that week} (timesheets does, from its
# entries; helpdesk knows nothing of them). No receiver: no minutes.
week_minutes_by_team = Signal()
