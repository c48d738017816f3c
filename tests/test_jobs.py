"""Every job kind: what it does to the contact, and how its parameters are checked."""

import pytest

from automations.models import Automation, Run
from automations.services import dispatch_due_runs
from contacts import services
from contacts.models import AttributeDefinition, Contact, Group, Membership, Transaction
from engage.events import record_event
from tests.factories import AutomationFactory, ContactFactory
from tests.test_automation_rules import ADD_URL, form_data


@pytest.fixture
def news(alice_org):
    return Group.objects.create(organization=alice_org, name="News")


@pytest.fixture
def erika(alice_org):
    return ContactFactory(organization=alice_org, email="erika@example.com", first_name="Erika")


def run_job(organization, contact, job_type, payload=None, **params) -> Run:
    automation = AutomationFactory(organization=organization, event_type="manual", job_type=job_type, job_params=params)
    automation.full_clean()
    automation.save()
    record_event(organization=organization, type="manual", contact=contact, payload=payload or {})
    dispatch_due_runs()
    return Run.objects.get(automation=automation)


def test_add_to_group_and_remove_again(alice_org, erika, news):
    run = run_job(alice_org, erika, "add_to_group", group=news.pk)
    assert run.status == "succeeded", run.error
    assert Membership.objects.get(contact=erika, group=news).state == "member"
    run_job(alice_org, erika, "remove_from_group", group=news.pk)
    assert not Membership.objects.filter(contact=erika).exists()


def test_blacklisted_contact_is_not_added_and_the_run_says_why(alice_org, erika, news):
    run_job(alice_org, erika, "add_to_blacklist", group=news.pk, reason="complaint")
    run = run_job(alice_org, erika, "add_to_group", group=news.pk)
    assert run.status == "failed" and "blacklisted" in run.error
    assert Membership.objects.get(contact=erika).state == "blacklisted"


def test_remove_from_all_groups_keeps_blacklist_entries(alice_org, erika, news):
    other = Group.objects.create(organization=alice_org, name="Other")
    services.add_member(contact=erika, group=news)
    services.blacklist(contact=erika, group=other)
    assert run_job(alice_org, erika, "remove_from_all_groups").output == {"removed": 1}
    assert list(Membership.objects.values_list("state", flat=True)) == ["blacklisted"]


def test_unsubscribe_from_one_and_from_all_groups(alice_org, erika, news):
    other = Group.objects.create(organization=alice_org, name="Other")
    services.subscribe(contact=erika, group=news, source="test")
    services.subscribe(contact=erika, group=other, source="test")
    run_job(alice_org, erika, "unsubscribe_from_group", group=news.pk, reason="asked by phone")
    assert Membership.objects.get(group=news).reason == "asked by phone"
    assert Membership.objects.get(group=other).state == "subscribed"
    run_job(alice_org, erika, "unsubscribe_from_all_groups", reason="moved away")
    assert set(Membership.objects.values_list("state", flat=True)) == {"unsubscribed"}


def test_tags_are_added_and_removed(alice_org, erika):
    run_job(alice_org, erika, "add_tag", tag="VIP")
    assert list(erika.tags.values_list("name", flat=True)) == ["VIP"]
    run_job(alice_org, erika, "remove_tag", tag="vip")
    assert not erika.tags.exists()


def test_store_attribute_takes_its_value_from_the_event(alice_org, erika):
    plan = AttributeDefinition.objects.create(organization=alice_org, key="plan", label="Plan", type="text")
    run = run_job(
        alice_org,
        erika,
        "store_attribute",
        {"plan": {"name": "Gold"}},
        attribute=plan.pk,
        value="{{ event.payload.plan.name }}",
    )
    assert run.status == "succeeded", run.error
    erika.refresh_from_db()
    assert erika.attributes == {"plan": "Gold"}


def test_store_attribute_refuses_a_value_of_the_wrong_type(alice_org, erika):
    score = AttributeDefinition.objects.create(organization=alice_org, key="score", label="Score", type="number")
    run = run_job(
        alice_org, erika, "store_attribute", {"score": "lots"}, attribute=score.pk, value="{{ event.payload.score }}"
    )
    assert run.status == "failed" and "not a valid Score" in run.error


def test_dynamic_text_cannot_reach_model_methods(alice_org, erika):
    note = AttributeDefinition.objects.create(organization=alice_org, key="note", label="Note", type="text")
    run = run_job(
        alice_org, erika, "store_attribute", attribute=note.pk, value="{{ contact.delete }}{{ contact.email }}"
    )
    assert run.status == "succeeded"
    assert Contact.objects.filter(pk=erika.pk).exists()
    erika.refresh_from_db()
    assert erika.attributes["note"] == "erika@example.com"


def test_add_transaction_with_data_from_the_event(alice_org, erika):
    run = run_job(
        alice_org,
        erika,
        "add_transaction",
        {"order": 42},
        type="order",
        data='{"order": "{{ event.payload.order }}", "n": 1}',
    )
    assert run.status == "succeeded", run.error
    assert Transaction.objects.get(contact=erika).data == {"order": "42", "n": 1}


def test_delete_contact(alice_org, erika):
    run = run_job(alice_org, erika, "delete_contact")
    assert run.output == {"deleted": "erika@example.com"}
    assert not Contact.objects.filter(pk=erika.pk).exists()
    assert Run.objects.get(pk=run.pk).contact is None  # the run stays, without the contact


def test_a_group_deleted_after_the_automation_was_saved_fails_the_run_clearly(alice_org, erika, news):
    automation = AutomationFactory(
        organization=alice_org, event_type="manual", job_type="add_to_group", job_params={"group": news.pk}
    )
    news.delete()
    record_event(organization=alice_org, type="manual", contact=erika)
    dispatch_due_runs()
    run = Run.objects.get(automation=automation)
    assert run.status == "failed" and "no longer exists" in run.error


def test_admin_shows_and_checks_the_parameters_of_the_chosen_job(client, alice, news, charlie_org):
    theirs = Group.objects.create(organization=charlie_org, name="Theirs")
    client.force_login(alice)
    page = client.get(ADD_URL)
    assert 'data-job="add_to_group"' in page.text and "params-add_to_group-group" in page.text
    assert "Theirs" not in page.text
    missing = client.post(ADD_URL, form_data(job_type="add_to_group"))
    assert missing.status_code == 200
    assert missing.context["job_parameters"][0]["form"].errors or "Check the parameters" in missing.text
    foreign = client.post(ADD_URL, form_data(job_type="add_to_group", **{"params-add_to_group-group": str(theirs.pk)}))
    assert foreign.status_code == 200
    assert not Automation.objects.exists()
    bad_template = client.post(
        ADD_URL,
        form_data(
            job_type="add_transaction",
            **{"params-add_transaction-type": "x", "params-add_transaction-data": '{"a": "{% if %}"}'},
        ),
    )
    assert "Invalid dynamic text" in bad_template.text
    ok = client.post(
        ADD_URL,
        form_data(
            job_type="add_to_group", **{"params-add_to_group-group": str(news.pk), "params-add_tag-tag": "ignored"}
        ),
    )
    assert ok.status_code == 302
    assert Automation.objects.get().job_params == {"group": news.pk}


def test_model_validation_checks_parameters_too(alice_org):
    automation = Automation(organization=alice_org, name="x", event_type="manual", job_type="add_tag", job_params={})
    with pytest.raises(Exception, match="tag"):
        automation.full_clean()
