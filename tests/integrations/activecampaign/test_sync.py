"""The address pool kept in sync: creates, updates, tags added and removed, list status,
leaving the pool, erasure, coalescing, outages; each checked against what the loopback
ActiveCampaign received and holds."""

import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from contacts import gdpr, imports
from contacts import services as contacts
from contacts.models import ContactImport, Group, Selection
from integrations.activecampaign import services
from integrations.activecampaign.models import ContactSync, FieldMapping, ListMapping
from tests.factories import ContactFactory
from tests.integrations.activecampaign.conftest import connect, push_due
from tests.payloads import fixture


@pytest.fixture
def jana(alice_org):
    return ContactFactory(
        organization=alice_org, email="jana.mueller@example.de", first_name="Jana", last_name="Müller",
        phone="+41441234567", external_ref="K-100234", language="de",
    )  # fmt: skip


@pytest.fixture
def mapped(connection):
    FieldMapping.objects.create(connection=connection, engage_field="external_ref", remote_field="1")
    FieldMapping.objects.create(connection=connection, engage_field="language", remote_field="4")
    return connection


def sync_of(contact) -> ContactSync:
    return ContactSync.objects.get(contact=contact)


def test_a_new_pooled_contact_is_created_with_its_mapped_fields(mapped, jana, ac):
    assert sync_of(jana).status == "pending"
    assert push_due(mapped) == 1
    assert ac.state.bodies("POST", "/api/3/contact/sync") == [
        json.loads(fixture("activecampaign_contact_sync_request.json"))
    ]
    row = sync_of(jana)
    assert (row.status, row.remote_id, row.attempts, row.error) == ("synced", "1842", 0, "")
    assert row.synced_at is not None
    assert {r["token"] for r in ac.state.received} == {"ac-key-123"}


def test_an_update_is_pushed_and_an_unchanged_contact_is_not_sent_again(mapped, jana, ac):
    push_due(mapped)
    jana.last_name = "Meier"
    jana.save()
    push_due(mapped)
    assert ac.state.contacts["1842"]["lastName"] == "Meier"
    jana.save()  # nothing changed
    push_due(mapped)
    assert len(ac.state.bodies("POST", "/api/3/contact/sync")) == 2
    assert sync_of(jana).status == "synced"


def test_ten_edits_within_a_second_are_one_sync(connection, jana, ac):
    for n in range(10):
        contacts.update_profile(contact=jana, fields={"first_name": f"Jana {n}"}, source="test")
    assert push_due(connection) == 1
    assert [b["contact"]["firstName"] for b in ac.state.bodies("POST", "/api/3/contact/sync")] == ["Jana 9"]


def test_a_change_is_not_due_before_the_coalescing_delay(connection, jana, ac):
    assert push_due(connection, later=0.0) == 0
    assert push_due(connection, later=5.0) == 1


def test_tags_are_added_created_on_demand_and_removed(connection, jana, ac):
    contacts.add_tag(contact=jana, name="oxas-sync")
    contacts.add_tag(contact=jana, name="oxas-kunde-premium")
    push_due(connection)
    assert ac.state.tags_of(jana.email) == {"oxas-sync", "oxas-kunde-premium"}
    [created] = ac.state.bodies("POST", "/api/3/tags")
    assert (created["tag"]["tag"], created["tag"]["tagType"]) == ("oxas-kunde-premium", "contact")
    contacts.remove_tag(contact=jana, name="oxas-kunde-premium")
    push_due(connection)
    assert ac.state.tags_of(jana.email) == {"oxas-sync"}
    assert [m for m, p in ac.state.calls() if p.startswith("/api/3/contactTags/")] == ["DELETE"]


def test_a_known_tag_id_is_not_looked_up_again(connection, jana, alice_org, ac):
    contacts.add_tag(contact=jana, name="oxas-sync")
    other = ContactFactory(organization=alice_org, email="max@example.de")
    contacts.add_tag(contact=other, name="oxas-sync")
    push_due(connection)
    assert [p for m, p in ac.state.calls() if p == "/api/3/tags"] == ["/api/3/tags"]
    assert len(ac.state.contact_tags) == 2


def test_mapped_groups_set_the_list_status(connection, jana, alice_org, ac):
    group = Group.objects.create(organization=alice_org, name="Newsletter DE")
    ListMapping.objects.create(connection=connection, group=group, remote_list="3")
    contacts.subscribe(contact=jana, group=group, source="test")
    push_due(connection)
    assert ac.state.bodies("POST", "/api/3/contactLists") == [
        json.loads(fixture("activecampaign_contact_list_request.json"))
    ]
    contacts.unsubscribe(contact=jana, group=group, source="test")
    push_due(connection)
    assert ac.state.contact_lists[("1842", "3")] == "2"


def test_a_contact_never_on_a_mapped_list_is_not_put_there_as_unsubscribed(connection, jana, alice_org, ac):
    group = Group.objects.create(organization=alice_org, name="Newsletter DE")
    ListMapping.objects.create(connection=connection, group=group, remote_list="3")
    push_due(connection)
    assert not ac.state.bodies("POST", "/api/3/contactLists")


def test_a_contact_that_leaves_the_pool_is_untagged_and_unsubscribed_not_deleted(connection, jana, alice_org, ac):
    pool = Selection.objects.create(organization=alice_org, name="Pool", definition={
        "match": "all", "conditions": [{"tag": "oxas-sync"}]})  # fmt: skip
    connection.pool = pool
    connection.save()
    group = Group.objects.create(organization=alice_org, name="Newsletter DE")
    ListMapping.objects.create(connection=connection, group=group, remote_list="3")
    contacts.subscribe(contact=jana, group=group, source="test")
    contacts.add_tag(contact=jana, name="oxas-sync")
    contacts.add_tag(contact=jana, name="vip")
    push_due(connection)
    assert ac.state.tags_of(jana.email) == {"oxas-sync", "vip"}
    contacts.remove_tag(contact=jana, name="oxas-sync")
    push_due(connection)
    assert ac.state.tags_of(jana.email) == set()
    assert ac.state.contact_lists[("1842", "3")] == "2"
    assert "1842" in ac.state.contacts
    assert not [p for m, p in ac.state.calls() if m == "DELETE" and p.startswith("/api/3/contacts/")]


def test_a_contact_outside_the_pool_is_never_sent(connection, alice_org, ac):
    connection.pool = Selection.objects.create(organization=alice_org, name="Pool", definition={
        "match": "all", "conditions": [{"tag": "oxas-sync"}]})  # fmt: skip
    connection.save()
    outsider = ContactFactory(organization=alice_org, email="out@example.de")
    outsider.first_name = "Out"
    outsider.save()
    push_due(connection)
    assert not ac.state.received
    assert not ContactSync.objects.filter(contact=outsider).exists()


def test_an_erased_contact_is_deleted_in_activecampaign(connection, jana, ac):
    push_due(connection)
    gdpr.erase_contact(jana)
    push_due(connection)
    assert ac.state.calls()[-1] == ("DELETE", "/api/3/contacts/1842")
    assert ac.state.contacts == {}
    row = sync_of(jana)
    assert (row.status, row.remote_id) == ("synced", "")
    assert not [b for b in ac.state.bodies("POST", "/api/3/contact/sync") if "erased" in b["contact"]["email"]]


def test_an_outage_is_retried_with_backoff_until_activecampaign_is_back(connection, jana, ac):
    ac.state.outage = True
    push_due(connection)
    row = sync_of(jana)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "HTTP 503" in row.error
    for hours in (1, 2, 3):  # down for hours: tried again and again, never given up
        push_due(connection, later=hours * 3600)
    row = sync_of(jana)
    assert row.status == "failed" and row.attempts == 4
    ac.state.outage = False
    push_due(connection, later=5 * 3600)
    row = sync_of(jana)
    assert (row.status, row.remote_id, row.error) == ("synced", "1842", "")
    assert "1842" in ac.state.contacts


def test_a_retry_waits_for_the_backoff(connection, jana, ac):
    ac.state.outage = True
    push_due(connection)
    ac.state.outage = False
    assert push_due(connection, later=2.0) == 0  # failed 2 s after coalescing: not due yet
    assert push_due(connection, later=120.0) == 1


def test_a_429_blocks_the_account_for_its_retry_after(connection, jana, ac):
    ac.state.throttle = 7
    push_due(connection)
    row = sync_of(jana)
    assert row.status == "failed" and "HTTP 429" in row.error
    assert row.due_at >= timezone.now() + timedelta(seconds=6)


def test_a_refusal_fails_with_activecampaigns_message_and_waits_for_the_next_change(connection, jana, ac):
    ac.state.fail["/api/3/contact/sync"] = (422, json.loads(fixture("activecampaign_error_422.json")))
    push_due(connection)
    row = sync_of(jana)
    assert row.status == "failed" and "Missing attribute" in row.error and row.due_at is None
    del ac.state.fail["/api/3/contact/sync"]
    assert push_due(connection, later=7200) == 0
    jana.first_name = "J."
    jana.save()
    push_due(connection)
    assert sync_of(jana).status == "synced"


def test_a_change_during_a_push_is_pushed_again(connection, jana, ac):
    now = timezone.now() + timedelta(seconds=5)
    row = services._claim(ContactSync, connection, now, order=("pk",))
    jana.first_name = "Changed meanwhile"
    jana.save()
    services.push_contact(connection, row)
    assert sync_of(jana).status == "pending"
    push_due(connection)
    assert ac.state.contacts["1842"]["firstName"] == "Changed meanwhile"


def test_a_change_goes_before_resync_items(connection, alice_org, ac):
    many = [ContactFactory(organization=alice_org, email=f"c{n}@example.de") for n in range(5)]
    push_due(connection)
    services.start_resync(connection=connection)
    many[4].first_name = "Urgent"
    many[4].save()
    services.process_next(connection, now=timezone.now() + timedelta(seconds=5))
    last = ac.state.bodies("POST", "/api/3/contact/sync")[-1]
    assert last["contact"]["firstName"] == "Urgent"


def test_the_company_is_synced_as_an_account_matched_by_name(connection, jana, alice_org, ac):
    ac.state.accounts["900"] = "Example AG"
    jana.company = "Example AG"
    jana.save()
    other = ContactFactory(organization=alice_org, email="max@example.de", company="Neue GmbH")
    push_due(connection)
    assert ac.state.account_contacts and sorted(ac.state.account_contacts.values()) == sorted(
        [("900", "1842"), (ac.state.accounts and next(i for i, n in ac.state.accounts.items() if n == "Neue GmbH"),
          ac.state.contact_id(other.email))]
    )  # fmt: skip
    assert ac.state.bodies("POST", "/api/3/accounts") == [{"account": {"name": "Neue GmbH"}}]


def test_the_connections_of_alice_and_charlie_stay_apart(connection, jana, charlie_org, ac):
    from tests.integrations.activecampaign.loopback import Server

    with Server() as charlies:
        charlie_connection = connect(charlie_org, charlies.url, sync_enabled=True)
        ContactFactory(organization=charlie_org, email="charlie@example.com")
        push_due(connection)
        push_due(charlie_connection)
        assert [c["email"] for c in ac.state.contacts.values()] == ["jana.mueller@example.de"]
        assert [c["email"] for c in charlies.state.contacts.values()] == ["charlie@example.com"]


def test_the_dispatcher_starts_one_worker_per_connection_with_due_work(connection, jana, monkeypatch):
    started = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: started.append(args))
    with time_machine.travel(timezone.now() + timedelta(seconds=5), tick=True):
        assert services.dispatch_due() == 1
        assert services.dispatch_due() == 0  # its worker holds the lease
    assert started == [("integrations.activecampaign.tasks.work", connection.pk)]


def test_the_worker_pushes_what_is_due_and_stops_when_idle(connection, jana, ac):
    with time_machine.travel(timezone.now() + timedelta(seconds=5), tick=True):
        assert services.work(connection_id=connection.pk, budget=30, idle_stop=0.2, threads=1) == 1
    assert sync_of(jana).status == "synced"
    connection.refresh_from_db()
    assert connection.worker_until is None


def test_an_import_queues_the_contacts_of_each_chunk_that_are_in_the_pool(connection, jana, alice_org, ac):
    connection.pool = Selection.objects.create(organization=alice_org, name="Pool", definition={
        "match": "all", "conditions": [{"tag": "oxas-sync"}]})  # fmt: skip
    connection.save()
    contacts.add_tag(contact=jana, name="oxas-sync")
    ContactSync.objects.filter(contact=jana).update(status="synced")
    rows = "email,first_name,tags\nin@example.de,In,oxas-sync\nout@example.de,Out,\njana.mueller@example.de,Jana M.,\n"
    contact_import = imports.create_import(
        organization=alice_org, file_name="c.csv", user=None, binary=io.BytesIO(rows.encode())
    )
    ContactImport.objects.filter(pk=contact_import.pk).update(status=ContactImport.Status.QUEUED)
    imports.run_import(contact_import.pk)
    queued = ContactSync.objects.filter(status="pending").values_list("contact__email", flat=True)
    assert sorted(queued) == ["in@example.de", "jana.mueller@example.de"]
    push_due(connection)
    assert {c["email"] for c in ac.state.contacts.values()} >= {"in@example.de", "jana.mueller@example.de"}
