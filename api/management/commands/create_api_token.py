"""Issue an API token for a user and print it once: `manage.py create_api_token alice`."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.services import api_token_issue


class Command(BaseCommand):
    help = (
        "Issue a new API token for a user and print it (only its hash is stored, so it "
        "cannot be shown again); --reset revokes the user's earlier tokens."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label for the token.")
        parser.add_argument(
            "--reset", action="store_true", help="Revoke the user's earlier tokens."
        )

    def handle(self, *args, username: str, name: str, reset: bool, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named “{username}”.")
        if not user.is_active:
            raise CommandError(f"User “{username}” is inactive.")
        _, key = api_token_issue(user=user, name=name, revoke_others=reset)
        self.stdout.write(key)
