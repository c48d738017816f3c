"""What an automation may be: the K/S rule, delays and targets, as the admin form says it."""

import pytest
from django.db import IntegrityError

from automations.models import Automation
from tests.factories import ContactFactory, UserFactory

ADD_URL = "/admin/automations/automation/add/"


def form_data(**overrides):
    data = {
        "name": "Welcome",
        "description": "",
        "is_active": "on",
        "event_type": "contact_created",
        "delay_value": "",
        "delay_unit": "",
        "job_type": "send_password_to_contact",
        "job_params": "{}",
        "target": "event",
        "target_contact": "",
        "target_user": "",
        "time_zone": "Europe/Zurich",
        "holidays": "always",
    }
    data.update(overrides)
    return data


def test_contact_event_with_contact_job_is_saved(client, alice):
    client.force_login(alice)
    response = client.post(ADD_URL, form_data(delay_value="2", delay_unit="hours"))
    assert response.status_code == 302
    automation = Automation.objects.get()
    assert automation.organization == alice.organization
    assert automation.delay.total_seconds() == 7200


@pytest.mark.parametrize(
    ("event_type", "job_type"),
    [("contact_created", "send_password_to_system_user"), ("system_user_created", "send_password_to_contact")],
)
def test_contact_and_system_scopes_do_not_mix(client, alice, event_type, job_type):
    client.force_login(alice)
    response = client.post(ADD_URL, form_data(event_type=event_type, job_type=job_type))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["job_type"]
    assert "cannot follow" in errors[0] and "Choose a job for" in errors[0]
    assert not Automation.objects.exists()


@pytest.mark.parametrize("job_type", ["send_password_to_contact", "send_password_to_system_user"])
def test_manual_event_combines_with_both_scopes(client, alice, job_type):
    client.force_login(alice)
    response = client.post(ADD_URL, form_data(event_type="manual", job_type=job_type))
    assert response.status_code == 302


def test_delay_needs_both_unit_and_value(client, alice):
    client.force_login(alice)
    response = client.post(ADD_URL, form_data(delay_unit="days"))
    assert "delay_value" in response.context["adminform"].form.errors
    response = client.post(ADD_URL, form_data(delay_value="3"))
    assert "delay_unit" in response.context["adminform"].form.errors
    assert not Automation.objects.exists()


def test_a_delay_of_zero_is_no_wait(client, alice):
    client.force_login(alice)
    response = client.post(ADD_URL, form_data(delay_value="0", delay_unit="days"))
    assert response.status_code == 302
    assert Automation.objects.get().delay.total_seconds() == 0


def test_a_missing_delay_value_names_the_unit_in_words(client, alice):
    client.force_login(alice)
    response = client.post(ADD_URL, form_data(delay_unit="days"))
    assert response.context["adminform"].form.errors["delay_value"] == ["Enter how many days to wait (0 for none)."]


def test_named_target_must_be_given_and_of_the_right_kind(client, alice):
    client.force_login(alice)
    response = client.post(ADD_URL, form_data(target="named"))
    assert "target_contact" in response.context["adminform"].form.errors
    user = UserFactory(organization=alice.organization)
    response = client.post(
        ADD_URL, form_data(target="named", event_type="system_user_created", job_type="send_password_to_system_user")
    )
    assert "target_user" in response.context["adminform"].form.errors
    response = client.post(
        ADD_URL,
        form_data(
            target="named",
            target_user=str(user.pk),
            event_type="system_user_created",
            job_type="send_password_to_system_user",
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Automation.objects.get().target_user == user


def test_named_contact_of_another_organization_is_not_a_choice(client, alice, charlie_org):
    outsider = ContactFactory(organization=charlie_org)
    client.force_login(alice)
    response = client.post(ADD_URL, form_data(target="named", target_contact=str(outsider.pk)))
    assert response.status_code == 200
    assert "target_contact" in response.context["adminform"].form.errors
    assert not Automation.objects.exists()


def test_name_is_at_most_100_characters(client, alice):
    client.force_login(alice)
    response = client.post(ADD_URL, form_data(name="x" * 101))
    assert "name" in response.context["adminform"].form.errors


def test_contact_email_is_unique_per_organization_ignoring_case(alice_org, charlie_org):
    ContactFactory(organization=alice_org, email="erika@example.com")
    ContactFactory(organization=charlie_org, email="erika@example.com")  # another tenant: fine
    with pytest.raises(IntegrityError):
        ContactFactory(organization=alice_org, email="ERIKA@example.com")


def test_contact_form_reports_a_taken_email(client, alice):
    ContactFactory(organization=alice.organization, email="erika@example.com")
    client.force_login(alice)
    response = client.post(
        "/admin/contacts/contact/add/",
        {"email": "Erika@Example.COM", "first_name": "", "last_name": "", "language": "en", "attributes": "{}"},
    )
    assert response.status_code == 200
    assert "already has a contact" in str(response.context["adminform"].form.errors["email"])


def test_selection_needs_a_contact_job_and_the_same_organization(client, alice, charlie_org):
    from contacts.models import Selection

    mine = Selection.objects.create(organization=alice.organization, name="mine", definition={"conditions": []})
    theirs = Selection.objects.create(organization=charlie_org, name="theirs", definition={"conditions": []})
    client.force_login(alice)
    response = client.post(
        ADD_URL,
        form_data(selection=str(mine.pk), event_type="system_user_created", job_type="send_password_to_system_user"),
    )
    assert "Selections choose contacts" in str(response.context["adminform"].form.errors["selection"])
    response = client.post(ADD_URL, form_data(selection=str(theirs.pk)))
    assert "selection" in response.context["adminform"].form.errors
    assert client.post(ADD_URL, form_data(selection=str(mine.pk))).status_code == 302


def test_a_delay_longer_than_five_years_is_refused(client, alice):
    client.force_login(alice)
    response = client.post(ADD_URL, form_data(delay_value="99999999999", delay_unit="hours"))
    assert response.status_code == 200
    assert "at most 5 years" in str(response.context["adminform"].form.errors["delay_value"])
