"""The catalogue's group events: *group created* (S) and *member removed from group* (K)
fire wherever a group is created or a membership is removed, and start automations."""

from __future__ import annotations

import pytest

from api.credentials import create_api_key
from api.models import Scope
from automations.models import Event, Run
from automations.services import dispatch_due_runs
from contacts import services
from contacts.models import Group, Membership
from engage.events import record_event
from tests.api.conftest import client_for
from tests.factories import AutomationFactory, ContactFactory


@pytest.fixture
def news(alice_org):
    return Group.objects.create(organization=alice_org, name="News")


@pytest.fixture
def jana(alice_org):
    return ContactFactory(organization=alice_org, email="jana@example.com")


@pytest.fixture
def alice_api(alice_org):
    return client_for(create_api_key(organization=alice_org, name="Shop", scope=Scope.WRITE)[1])


def run_due() -> None:
    while dispatch_due_runs():
        pass


def on_member_removed(organization):
    return AutomationFactory(
        organization=organization, event_type="member_removed", job_type="send_password_to_contact"
    )


def test_a_group_created_in_the_admin_starts_a_system_automation_for_its_creator(client, alice, smtp_server):
    automation = AutomationFactory(
        organization=alice.organization, event_type="group_created", job_type="send_password_to_system_user"
    )
    client.force_login(alice)
    response = client.post("/admin/contacts/group/add/", {"name": "Partners", "description": ""})
    assert response.status_code == 302
    event = Event.objects.get(type="group_created")
    assert (event.scope, event.user, event.payload["group"]["name"]) == ("S", alice, "Partners")
    run_due()
    run = Run.objects.get(automation=automation)
    assert (run.status, run.user) == (Run.Status.SUCCEEDED, alice)
    assert len(smtp_server.messages) == 1


def test_a_group_changed_in_the_admin_is_not_created_again(client, alice, news):
    client.force_login(alice)
    client.post(f"/admin/contacts/group/{news.pk}/change/", {"name": "Newsletter", "description": ""})
    assert Group.objects.get(pk=news.pk).name == "Newsletter"
    assert not Event.objects.filter(type="group_created").exists()


def test_a_group_created_through_the_api_starts_an_automation_on_a_named_user(alice_org, alice, alice_api):
    automation = AutomationFactory(
        organization=alice_org, event_type="group_created", job_type="send_password_to_system_user",
        target="named", target_user=alice,
    )  # fmt: skip
    response = alice_api.post("/api/v1/groups", {"name": "Partners"}, format="json")
    assert response.status_code == 201
    event = Event.objects.get(type="group_created")
    assert event.payload["group"] == {"id": response.json()["id"], "name": "Partners"}
    assert Run.objects.get(automation=automation).user == alice


def test_removing_a_member_through_the_api_starts_a_contact_automation(alice_org, alice_api, jana, news, smtp_server):
    automation = on_member_removed(alice_org)
    services.add_member(contact=jana, group=news)
    url = f"/api/v1/groups/{news.pk}/memberships"
    response = alice_api.post(url, {"contact": jana.pk, "action": "remove"}, format="json")
    assert response.status_code == 204
    assert not Membership.objects.filter(contact=jana).exists()
    event = Event.objects.get(type="member_removed")
    assert (event.contact, event.payload["group"]["name"], event.payload["state"]) == (jana, "News", "member")
    run_due()
    assert Run.objects.get(automation=automation).status == Run.Status.SUCCEEDED
    assert smtp_server.messages[0]["To"] == "jana@example.com"


def test_removing_someone_who_is_no_member_is_404_and_fires_nothing(alice_org, alice_api, jana, news):
    url = f"/api/v1/groups/{news.pk}/memberships"
    assert alice_api.post(url, {"contact": jana.pk, "action": "remove"}, format="json").status_code == 404
    assert not Event.objects.filter(type="member_removed").exists()


def test_a_blacklist_entry_is_not_removed_and_fires_nothing(alice_org, jana, news):
    services.blacklist(contact=jana, group=news)
    assert services.remove_member(contact=jana, group=news) is False
    assert Membership.objects.get(contact=jana).state == "blacklisted"
    assert not Event.objects.filter(type="member_removed").exists()


def test_the_remove_from_all_groups_job_fires_once_per_group(alice_org, jana, news, smtp_server):
    other = Group.objects.create(organization=alice_org, name="Offers")
    services.add_member(contact=jana, group=news)
    services.subscribe(contact=jana, group=other, source="test")
    listening = on_member_removed(alice_org)
    AutomationFactory(organization=alice_org, event_type="manual", job_type="remove_from_all_groups")
    record_event(organization=alice_org, type="manual", contact=jana)
    run_due()
    removed = Event.objects.filter(type="member_removed").order_by("id")
    assert [e.payload["group"]["name"] for e in removed] == ["News", "Offers"]
    assert Run.objects.filter(automation=listening, status=Run.Status.SUCCEEDED).count() == 2


def test_a_membership_deleted_on_the_contacts_admin_page_fires_member_removed(alice_org, jana, news):
    membership = services.add_member(contact=jana, group=news)
    services.save_memberships_by_hand(memberships=[], deleted=[membership], source="admin (alice)")
    event = Event.objects.get(type="member_removed")
    assert (event.contact, event.source) == (jana, "admin (alice)")


def test_the_admin_refuses_a_contact_job_after_group_created(client, alice):
    from tests.test_automation_rules import ADD_URL, form_data

    client.force_login(alice)
    response = client.post(ADD_URL, form_data(event_type="group_created", job_type="send_password_to_contact"))
    assert response.status_code == 200
    error = response.context["adminform"].form.errors["job_type"][0]
    assert "cannot follow “Group created”: the event happens to a system user (S)" in error
