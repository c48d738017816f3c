"""Recording events: scopes, redelivery, which automations they start."""

import pytest

from automations.models import Event, Run
from contacts import services
from contacts.models import Contact
from engage.events import Scope, record_event
from tests.conftest import inline_management_forms
from tests.factories import AutomationFactory, ContactFactory, UserFactory


def test_creating_a_contact_fires_contact_created(alice_org):
    contact = services.create_contact(organization=alice_org, email="new@example.com")
    event = Event.objects.get()
    assert (event.type, event.scope, event.contact) == ("contact_created", Scope.CONTACT, contact)


def test_creating_a_contact_in_the_admin_fires_contact_created(client, alice):
    client.force_login(alice)
    response = client.post(
        "/admin/contacts/contact/add/",
        {
            "email": "admin-made@example.com",
            "first_name": "A",
            "last_name": "B",
            "language": "de",
            "attributes": "{}",
            **inline_management_forms(),
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get(email="admin-made@example.com")
    assert contact.organization == alice.organization
    assert Event.objects.get(type="contact_created").contact == contact


def test_creating_a_system_user_in_the_admin_fires_system_user_created(client, alice):
    client.force_login(alice)
    response = client.post(
        "/admin/contacts/user/add/",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "role": "marketer",
            "usable_password": "true",
            "password1": "a-Long-enough-pass-123",
            "password2": "a-Long-enough-pass-123",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get(type="system_user_created")
    assert (event.scope, event.user.username) == (Scope.SYSTEM, "newbie")
    assert event.user.organization == alice.organization and event.user.is_staff


def test_a_redelivered_event_is_recorded_once_and_runs_once(alice_org):
    AutomationFactory(organization=alice_org)
    contact = ContactFactory(organization=alice_org)
    first, created = record_event(
        organization=alice_org, type="contact_created", contact=contact, source="crm", external_id="abc-1"
    )
    again, created_again = record_event(
        organization=alice_org, type="contact_created", contact=contact, source="crm", external_id="abc-1"
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert Run.objects.count() == 1


def test_the_same_external_id_from_another_source_or_tenant_is_another_event(alice_org, charlie_org):
    contact = ContactFactory(organization=alice_org)
    record_event(organization=alice_org, type="contact_created", contact=contact, source="crm", external_id="1")
    record_event(organization=alice_org, type="contact_created", contact=contact, source="shop", external_id="1")
    other = ContactFactory(organization=charlie_org)
    record_event(organization=charlie_org, type="contact_created", contact=other, source="crm", external_id="1")
    assert Event.objects.count() == 3


def test_only_active_automations_of_the_same_organization_and_event_run(alice_org, charlie_org):
    listening = AutomationFactory(organization=alice_org)
    AutomationFactory(organization=alice_org, is_active=False)
    AutomationFactory(organization=alice_org, event_type="password_requested")
    AutomationFactory(organization=charlie_org)
    contact = ContactFactory(organization=alice_org)
    record_event(organization=alice_org, type="contact_created", contact=contact)
    assert [run.automation for run in Run.objects.all()] == [listening]


def test_manual_event_takes_its_scope_from_who_it_is_about(alice_org):
    contact_job = AutomationFactory(organization=alice_org, event_type="manual")
    system_job = AutomationFactory(organization=alice_org, event_type="manual", job_type="send_password_to_system_user")
    contact = ContactFactory(organization=alice_org)
    user = UserFactory(organization=alice_org)
    record_event(organization=alice_org, type="manual", contact=contact)
    record_event(organization=alice_org, type="manual", user=user)
    assert Run.objects.get(contact=contact).automation == contact_job
    assert Run.objects.get(user=user).automation == system_job


def test_manual_event_without_a_subject_is_refused(alice_org):
    with pytest.raises(ValueError, match="needs a contact or a system user"):
        record_event(organization=alice_org, type="manual")


def test_named_target_gets_the_run_whoever_the_event_is_about(alice_org):
    named = ContactFactory(organization=alice_org, email="boss@example.com")
    AutomationFactory(organization=alice_org, target="named", target_contact=named)
    record_event(organization=alice_org, type="contact_created", contact=ContactFactory(organization=alice_org))
    assert Run.objects.get().contact == named


def test_fire_manual_event_admin_action(client, alice):
    AutomationFactory(organization=alice.organization, event_type="manual")
    contacts = ContactFactory.create_batch(2, organization=alice.organization)
    client.force_login(alice)
    response = client.post(
        "/admin/contacts/contact/",
        {"action": "fire_manual_events", "_selected_action": [c.pk for c in contacts]},
    )
    assert response.status_code == 302
    assert Event.objects.filter(type="manual").count() == 2
    assert Run.objects.count() == 2


def test_find_or_create_contact_matches_any_letter_case_within_the_organization(alice_org, charlie_org):
    theirs = ContactFactory(organization=charlie_org, email="ann@example.com")
    ours = services.find_or_create_contact(organization=alice_org, email=" Ann@Example.com ", source="test")
    assert ours != theirs and ours.organization == alice_org and ours.email == "Ann@Example.com"
    assert services.find_or_create_contact(organization=alice_org, email="ANN@example.com", source="test") == ours
    assert services.find_or_create_contact(organization=alice_org, email="not an address", source="test") is None
    assert Contact.objects.filter(organization=alice_org).count() == 1
