"""Copying an automation to edit the copy: an admin action and "Save as new"."""

from automations.models import Automation
from tests.test_automation_rules import form_data

LIST_URL = "/admin/automations/automation/"


def automation(org, **fields) -> Automation:
    values = {
        "name": "Survey for closed cases",
        "event_type": "salesforce_message",
        "job_type": "add_tag",
        "job_params": {"tag": "closed"},
        "delay_value": 2,
        "delay_unit": "days",
        "execution_days": [0, 1, 2],
    }
    return Automation.objects.create(organization=org, **{**values, **fields})


def test_the_copy_action_copies_everything_but_leaves_the_copy_inactive(client, alice):
    original = automation(alice.organization)
    client.force_login(alice)
    response = client.post(LIST_URL, {"action": "copy_selected", "_selected_action": [original.pk]})
    assert response.status_code == 302
    copy = Automation.objects.exclude(pk=original.pk).get()
    assert copy.name == "Copy of Survey for closed cases"
    assert not copy.is_active
    assert (copy.organization, copy.event_type, copy.job_type, copy.job_params) == (
        alice.organization, "salesforce_message", "add_tag", {"tag": "closed"}
    )  # fmt: skip
    assert (copy.delay_value, copy.delay_unit, copy.execution_days) == (2, "days", [0, 1, 2])
    original.refresh_from_db()
    assert original.is_active and original.name == "Survey for closed cases"


def test_a_long_name_is_shortened_to_fit(client, alice):
    original = automation(alice.organization, name="x" * 100)
    client.force_login(alice)
    client.post(LIST_URL, {"action": "copy_selected", "_selected_action": [original.pk]})
    assert len(Automation.objects.exclude(pk=original.pk).get().name) == 100


def test_charlie_cannot_copy_alices_automation(client, alice, charlie):
    original = automation(alice.organization)
    client.force_login(charlie)
    client.post(LIST_URL, {"action": "copy_selected", "_selected_action": [original.pk]})
    assert Automation.objects.count() == 1


def test_save_as_new_keeps_the_original_and_stores_the_edited_copy(client, alice):
    original = automation(alice.organization, job_type="send_password_to_contact", job_params={},
                          event_type="contact_created", delay_value=None, delay_unit="", execution_days=[])  # fmt: skip
    client.force_login(alice)
    data = form_data(name="Welcome, edited", _saveasnew="Save as new")
    response = client.post(f"{LIST_URL}{original.pk}/change/", data)
    assert response.status_code == 302
    assert Automation.objects.count() == 2
    original.refresh_from_db()
    assert original.name == "Survey for closed cases"
    assert Automation.objects.get(name="Welcome, edited").organization == alice.organization


def test_save_as_new_on_alices_automation_stores_only_what_charlie_sent_in_his_organization(client, alice, charlie):
    """Save as new posts the whole form: nothing is read from the automation in the URL."""
    original = automation(alice.organization)
    client.force_login(charlie)
    response = client.post(f"{LIST_URL}{original.pk}/change/", form_data(name="Mine", _saveasnew="Save as new"))
    assert response.status_code == 302
    mine = Automation.objects.exclude(pk=original.pk).get()
    assert (mine.organization, mine.name, mine.job_type) == (charlie.organization, "Mine", "send_password_to_contact")
    original.refresh_from_db()
    assert (original.organization, original.name) == (alice.organization, "Survey for closed cases")
