import os

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from automations.models import Automation
from contacts import services
from contacts.models import Group, Organization, User
from contacts.selectors import contact_by_email
from engage.events import EventType
from notifications.models import SenderDomain


class Command(BaseCommand):
    help = "Create (or refresh) the demo organization, its logins, a contact and an automation."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        password = os.environ.get("DEMO_PASSWORD", "engage-demo")
        organization = Organization.objects.filter(slug="demo").first() or services.create_organization(
            name="Demo Company", slug="demo"
        )
        host, _ = User.objects.get_or_create(
            username="admin", defaults={"is_superuser": True, "is_staff": True, "email": "admin@engage.localhost"}
        )
        host.set_password(password)
        host.save()
        marketer, _ = User.objects.get_or_create(
            username="demo",
            defaults={
                "organization": organization,
                "role": User.Role.ADMIN,
                "is_staff": True,
                "email": "demo@engage.localhost",
                "first_name": "Demo",
            },
        )
        marketer.set_password(password)
        marketer.save()
        Automation.objects.get_or_create(
            organization=organization,
            name="Welcome: send a password a minute after sign-up",
            defaults={
                "description": "Every new contact receives a preference-center password a minute after being created.",
                "event_type": EventType.CONTACT_CREATED,
                "job_type": "send_password_to_contact",
                "target": Automation.Target.EVENT,
                "delay_unit": Automation.DelayUnit.MINUTES,
                "delay_value": 1,
            },
        )
        Group.objects.get_or_create(
            organization=organization,
            name="Newsletter",
            defaults={"is_public": True, "description": "News from Demo Company, once a month."},
        )
        Group.objects.get_or_create(
            organization=organization,
            name="Offers",
            defaults={"is_public": True, "double_opt_in": True, "description": "Special offers (you confirm by mail)."},
        )
        # A sender domain the demo may send from (the API's agentless mail needs one). There
        # is no DNS to check on a laptop: the demo's is marked verified.
        domain, _ = SenderDomain.objects.get_or_create(organization=organization, domain="demo.example")
        if not domain.is_verified:
            SenderDomain.objects.filter(pk=domain.pk).update(verified_at=timezone.now(), verification_ok=True)
        if contact_by_email(organization, "erika.muster@example.com") is None:
            services.create_contact(
                organization=organization,
                email="erika.muster@example.com",
                first_name="Erika",
                last_name="Muster",
                language="de",
                source="demo",
            )
        self.stdout.write(
            self.style.SUCCESS(
                "\nDemo data ready. Log in at http://127.0.0.1:8000/admin/\n"
                f"  organization admin (Demo Company): demo / {password}\n"
                f"  host administrator (all organizations): admin / {password}\n"
                "Add a contact and its password mail shows up in this terminal a minute later.\n"
                "Contacts log in at http://127.0.0.1:8000/portal/demo/login/ with the password from that mail.\n"
                "API: http://127.0.0.1:8000/api/docs/ (create a key under API keys, or with "
                "`manage.py create_api_key demo --scope write --agentless-email`); the demo sends from @demo.example.\n"
            )
        )
