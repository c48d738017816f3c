"""Events beyond the basics: custom API events, system logins, automations that finish."""

from automations.models import Event, Run
from automations.services import dispatch_due_runs
from engage.events import record_event
from tests.factories import AutomationFactory, ContactFactory


def test_custom_event_starts_only_automations_with_its_name(alice_org):
    wanted = AutomationFactory(organization=alice_org, event_type="custom", event_name="cart_abandoned")
    AutomationFactory(organization=alice_org, event_type="custom", event_name="order_shipped")
    contact = ContactFactory(organization=alice_org)
    record_event(organization=alice_org, type="custom", name="cart_abandoned", contact=contact)
    assert [run.automation for run in Run.objects.all()] == [wanted]


def test_custom_event_automation_needs_the_name(client, alice):
    client.force_login(alice)
    from tests.test_automation_rules import ADD_URL, form_data

    response = client.post(ADD_URL, form_data(event_type="custom", event_name=""))
    assert "event_name" in response.context["adminform"].form.errors


def test_system_user_logging_on_to_the_admin_is_an_event(client, alice):
    client.post("/admin/login/", {"username": "alice", "password": "correct horse battery staple"})
    event = Event.objects.get(type="system_user_logged_on")
    assert (event.user, event.scope) == (alice, "S")


def test_a_finished_automation_starts_the_next_one(alice_org, smtp_server):
    first = AutomationFactory(organization=alice_org, name="first")
    second = AutomationFactory(
        organization=alice_org, name="second", event_type="automation_finished", after_automation=first,
        job_type="send_password_to_contact",
    )  # fmt: skip
    contact = ContactFactory(organization=alice_org)
    record_event(organization=alice_org, type="contact_created", contact=contact)
    while dispatch_due_runs():
        pass
    finished = Event.objects.get(type="automation_finished", payload__automation__id=first.pk)
    assert finished.chain_depth == 1 and finished.payload["status"] == "succeeded"
    assert Run.objects.get(automation=second).status == Run.Status.SUCCEEDED
    assert len(smtp_server.messages) == 2


def test_automations_that_start_each_other_stop_at_the_chain_limit(alice_org, smtp_server, settings):
    settings.ENGAGE_MAX_CHAIN_DEPTH = 3
    AutomationFactory(organization=alice_org, name="ping", event_type="automation_finished")  # reacts to itself
    contact = ContactFactory(organization=alice_org)
    record_event(organization=alice_org, type="manual", contact=contact)  # nothing listens: no run
    record_event(organization=alice_org, type="automation_finished", contact=contact, payload={"automation": {}})
    for _ in range(10):
        dispatch_due_runs()
    runs = Run.objects.order_by("id")
    assert runs.count() == 4  # the first run, then three more links
    assert [e.chain_depth for e in Event.objects.filter(type="automation_finished").order_by("id")] == [0, 1, 2, 3]
    assert "limit 3" in runs.last().error and "loop" in runs.last().error
