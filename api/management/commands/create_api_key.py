from django.core.management.base import BaseCommand, CommandError

from api.credentials import create_api_key
from api.models import Scope
from contacts.models import Organization


class Command(BaseCommand):
    help = "Create an API key for an organization and print it (once: it is stored only hashed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("organization", help="The organization's slug.")
        parser.add_argument("--scope", choices=Scope.values, default=Scope.READ)
        parser.add_argument("--name", default="Command line")
        parser.add_argument(
            "--agentless-email",
            action="store_true",
            help="Let the key send agentless e-mail (conversation:agentlessEmail:send), whatever its scope.",
        )

    def handle(self, *args, organization: str, scope: str, name: str, agentless_email: bool, **options) -> None:
        org = Organization.objects.filter(slug=organization).first()
        if org is None:
            raise CommandError(f"No organization with the slug {organization!r}.")
        _key, plain = create_api_key(organization=org, name=name[:100], scope=scope, agentless_email=agentless_email)
        self.stdout.write(plain)
