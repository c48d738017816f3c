"""`make run` seeds demo data; running it again must change nothing and print the logins."""

import io

from django.contrib.auth import authenticate
from django.core.management import call_command

from automations.models import Automation, Run
from contacts.models import Contact, Group, Organization


def test_seed_demo_is_idempotent_and_its_logins_work(db):
    for _ in range(2):
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
    assert "demo / engage-demo" in out.getvalue()
    organization = Organization.objects.get(slug="demo")
    assert authenticate(username="demo", password="engage-demo").organization == organization
    assert authenticate(username="admin", password="engage-demo").is_superuser
    assert Contact.objects.filter(organization=organization).count() == 1
    assert set(Group.objects.filter(organization=organization).values_list("name", flat=True)) == {
        "Newsletter",
        "Offers",
    }
    welcome = Automation.objects.get(organization=organization, event_type="contact_created")
    assert (welcome.delay_unit, welcome.delay_value) == ("minutes", 1)
    assert Automation.objects.filter(organization=organization, event_type="password_requested").count() == 1
    assert Run.objects.get(automation=welcome).status == Run.Status.SCHEDULED


def test_the_demo_can_send_agentless_mail_from_its_own_domain(db):
    from notifications.domains import is_verified_sender

    call_command("seed_demo", stdout=io.StringIO())
    organization = Organization.objects.get(slug="demo")
    assert is_verified_sender(organization, "news@demo.example")
    assert not is_verified_sender(organization, "news@elsewhere.example")
