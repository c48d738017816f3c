"""Tenant isolation in the admin: alice and bob see Alice Org, charlie sees only his own.

Every admin page is listed in PAGES; a new admin page must be added here.
"""

import io

import pytest
from django.contrib import admin
from django.urls import reverse

from automations.models import Automation, Holiday, Run
from contacts.models import AttributeDefinition, ConsentRecord, Group, Selection, Tag
from engage.events import record_event
from notifications.models import OutboundMessage
from tests.conftest import inline_management_forms
from tests.factories import AutomationFactory, ContactFactory, UserFactory


def make_contact(org):
    return ContactFactory(organization=org, email=f"someone@{org.slug}.example")


def make_automation(org):
    return AutomationFactory(organization=org, name=f"{org.slug} automation")


def make_event(org):
    event, _ = record_event(organization=org, type="contact_created", contact=make_contact(org), source=org.slug)
    return event


def make_run(org):
    make_automation(org)
    make_event(org)
    return Run.objects.get(organization=org)


def make_message(org):
    return OutboundMessage.objects.create(
        organization=org,
        recipient=f"someone@{org.slug}.example",
        subject=f"{org.slug} news",
        from_email="x@example.com",
    )


def make_suppression(org):
    from contacts.models import Suppression

    return Suppression.objects.create(organization=org, address=f"bounced@{org.slug}.example")


def make_conversation(org):
    from notifications.conversations import conversation_for

    return conversation_for(organization=org, conversation_id=None, subject=f"{org.slug} order")


def make_reply(org):
    from django.utils import timezone

    from notifications.models import InboundMessage

    return InboundMessage.objects.create(
        organization=org, esp="postmark", message_id=f"<reply@{org.slug}.example>", from_email="a@example.com",
        subject=f"Re: {org.slug} order", received_at=timezone.now(),
    )  # fmt: skip


def make_user(org):
    return UserFactory(organization=org, username=f"{org.slug}-user")


def the_organization(org):
    return org


def make_tag(org):
    return Tag.objects.create(organization=org, name=f"{org.slug}-tag")


def make_group(org):
    return Group.objects.create(organization=org, name=f"{org.slug} news")


def make_attribute(org):
    return AttributeDefinition.objects.create(organization=org, key=f"{org.slug}_score", label="Score", type="number")


def make_selection(org):
    return Selection.objects.create(organization=org, name=f"{org.slug} selection", definition={"conditions": []})


def make_consent(org):
    return ConsentRecord.objects.create(organization=org, contact=make_contact(org), action="subscribed", source="test")


def make_import(org):
    from contacts.imports import create_import

    return create_import(organization=org, file_name="c.csv", binary=io.BytesIO(b"email\na@example.com\n"), user=None)


def make_holiday(org):
    from datetime import date

    from automations.models import Holiday

    return Holiday.objects.create(organization=org, date=date(2026, 12, 25), name=f"{org.slug} Christmas")


def make_mail_settings(org):
    from notifications.models import MailSettings

    return MailSettings.objects.create(organization=org, smtp_host=f"smtp.{org.slug}.example")


def make_prepared_message(org):
    from notifications.models import PreparedMessage

    return PreparedMessage.objects.create(organization=org, name=f"{org.slug} newsletter")


def make_sendout(org):
    from notifications.sendouts import create_sendout

    return create_sendout(
        organization=org, name=f"{org.slug} sendout", message=make_prepared_message(org), groups=[make_group(org)]
    )


def make_send_quota(org):
    from django.utils import timezone

    from notifications.models import SendQuota

    return SendQuota.objects.create(organization=org, mails_per_minute=100, tokens=100, updated_at=timezone.now())


def make_salesforce_connection(org):
    from integrations.models import SalesforceConnection

    return SalesforceConnection.objects.create(
        organization=org, name=f"{org.slug} CRM", salesforce_organization_id="00D7Q000004JkLm"
    )


def make_salesforce_notification(org):
    from integrations.models import SalesforceNotification

    return SalesforceNotification.objects.create(
        organization=org, connection=make_salesforce_connection(org), notification_id=f"04l{org.slug}"[:18],
        object_type="Case", object_id="5007Q00000Bx3kPQAR", status="no_contact",
    )  # fmt: skip


def make_webhook_endpoint(org):
    from integrations.models import WebhookEndpoint
    from integrations.webhooks.services import add_webhook_secret

    endpoint = WebhookEndpoint.objects.create(organization=org, name=f"{org.slug} ERP")
    add_webhook_secret(endpoint=endpoint)
    return endpoint


def make_inbound_notification(org):
    from integrations.models import InboundNotification

    return InboundNotification.objects.create(
        organization=org, source="webhook", webhook_id=f"msg_{org.slug}", payload={"x": 1}, status="no_contact"
    )


def make_activecampaign_connection(org):
    from integrations.models import ActiveCampaignConnection

    return ActiveCampaignConnection.objects.create(organization=org, api_url=f"https://{org.slug}.api-us1.com")


def make_contact_sync(org):
    from integrations.models import ContactSync

    return ContactSync.objects.create(organization=org, contact=ContactFactory(organization=org))


def make_resync(org):
    from integrations.models import Resync

    return Resync.objects.create(connection=make_activecampaign_connection(org))


def make_planning_type(org):
    from integrations.models import PlanningType

    return PlanningType.objects.create(organization=org, name=f"Beratung {org.slug}", automation="42")


def make_activity(org):
    from integrations.models import Activity

    contact = ContactFactory(organization=org)
    return Activity.objects.create(organization=org, contact=contact, planning_type=make_planning_type(org))


def make_sender_domain(org):
    from notifications.models import SenderDomain

    return SenderDomain.objects.create(organization=org, domain=f"{org.slug}.example")


def make_api_key(org):
    from api.credentials import create_api_key

    return create_api_key(organization=org, name=f"{org.slug} shop")[0]


def make_oauth_client(org):
    from api.credentials import create_oauth_client

    return create_oauth_client(organization=org, name=f"{org.slug} client")[0]


PAGES = {
    "contacts.organization": the_organization,
    "contacts.user": make_user,
    "contacts.contact": make_contact,
    "automations.automation": make_automation,
    "automations.event": make_event,
    "automations.run": make_run,
    "notifications.outboundmessage": make_message,
    "contacts.suppression": make_suppression,
    "notifications.conversation": make_conversation,
    "notifications.inboundmessage": make_reply,
    "contacts.tag": make_tag,
    "contacts.group": make_group,
    "contacts.attributedefinition": make_attribute,
    "contacts.selection": make_selection,
    "contacts.consentrecord": make_consent,
    "contacts.contactimport": make_import,
    "automations.holiday": make_holiday,
    "notifications.mailsettings": make_mail_settings,
    "notifications.preparedmessage": make_prepared_message,
    "notifications.sendquota": make_send_quota,
    "notifications.sendout": make_sendout,
    "integrations.salesforceconnection": make_salesforce_connection,
    "integrations.salesforcenotification": make_salesforce_notification,
    "integrations.webhookendpoint": make_webhook_endpoint,
    "integrations.inboundnotification": make_inbound_notification,
    "integrations.activecampaignconnection": make_activecampaign_connection,
    "integrations.contactsync": make_contact_sync,
    "integrations.resync": make_resync,
    "integrations.planningtype": make_planning_type,
    "integrations.activity": make_activity,
    "notifications.senderdomain": make_sender_domain,
    "api.apikey": make_api_key,
    "api.oauthclient": make_oauth_client,
}


def urls(obj):
    info = (obj._meta.app_label, obj._meta.model_name)
    return {
        "changelist": reverse("admin:{}_{}_changelist".format(*info)),
        "change": reverse("admin:{}_{}_change".format(*info), args=[obj.pk]),
        "delete": reverse("admin:{}_{}_delete".format(*info), args=[obj.pk]),
        "history": reverse("admin:{}_{}_history".format(*info), args=[obj.pk]),
    }


def test_every_registered_admin_page_is_covered():
    registered = {f"{model._meta.app_label}.{model._meta.model_name}" for model in admin.site._registry}
    registered -= {"django_q.schedule", "django_q.success", "django_q.failure", "django_q.ormq", "auth.group"}
    assert registered == set(PAGES)


@pytest.mark.parametrize("label", PAGES)
def test_charlie_gets_404_for_alice_objects(client, alice_org, charlie, label):
    obj = PAGES[label](alice_org)
    client.force_login(charlie)
    for name, url in urls(obj).items():
        if name == "changelist":
            continue
        assert client.get(url).status_code == 404, (label, name)
    assert client.post(urls(obj)["delete"], {"post": "yes"}).status_code == 404
    assert type(obj).objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("label", PAGES)
def test_changelist_shows_only_own_organization(client, alice, alice_org, charlie_org, label):
    mine = PAGES[label](alice_org)
    theirs = PAGES[label](charlie_org)
    client.force_login(alice)
    response = client.get(urls(mine)["changelist"])
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert mine in shown
    assert theirs not in shown


@pytest.mark.parametrize("label", PAGES)
def test_alice_can_open_her_own_objects(client, alice, alice_org, label):
    obj = PAGES[label](alice_org)
    client.force_login(alice)
    assert client.get(urls(obj)["change"]).status_code == 200


@pytest.mark.parametrize("label", PAGES)
def test_host_admin_sees_every_organization(client, host_admin, alice_org, charlie_org, label):
    mine, theirs = PAGES[label](alice_org), PAGES[label](charlie_org)
    client.force_login(host_admin)
    response = client.get(urls(mine)["changelist"])
    shown = list(response.context["cl"].result_list)
    assert mine in shown and theirs in shown


def test_bob_the_marketer_cannot_manage_system_users(client, bob, alice_org):
    user = make_user(alice_org)
    client.force_login(bob)
    assert client.get(urls(user)["changelist"]).status_code == 403
    assert client.get(reverse("admin:contacts_user_add")).status_code == 403
    assert client.get(urls(make_contact(alice_org))["change"]).status_code == 200


def test_foreign_key_choices_are_limited_to_own_organization(client, alice, alice_org, charlie_org):
    mine, theirs = make_contact(alice_org), make_contact(charlie_org)
    my_user, their_user = make_user(alice_org), make_user(charlie_org)
    client.force_login(alice)
    form = client.get(reverse("admin:automations_automation_add")).context["adminform"].form
    assert set(form.fields["target_contact"].queryset) == {mine}
    assert my_user in form.fields["target_user"].queryset
    assert their_user not in form.fields["target_user"].queryset
    assert theirs not in form.fields["target_contact"].queryset
    assert "organization" not in form.fields


def test_contact_autocomplete_does_not_leak_other_organizations(client, alice, alice_org, charlie_org):
    make_contact(alice_org)
    make_contact(charlie_org)
    client.force_login(alice)
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": "someone", "app_label": "automations", "model_name": "automation", "field_name": "target_contact"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["someone@alice.example"]


def test_posted_organization_is_ignored_for_organization_users(client, alice, charlie_org):
    client.force_login(alice)
    response = client.post(
        reverse("admin:contacts_contact_add"),
        {
            "organization": charlie_org.pk,
            "email": "x@example.com",
            "language": "en",
            "attributes": "{}",
            **inline_management_forms(),
        },
    )
    assert response.status_code == 302
    from contacts.models import Contact

    assert Contact.objects.get(email="x@example.com").organization == alice.organization


def test_organization_admin_cannot_create_host_administrators(client, alice):
    client.force_login(alice)
    form = client.get(reverse("admin:contacts_user_add")).context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "organization" not in form.fields


def test_organization_admin_checks_the_editable_fields(client, alice, alice_org):
    client.force_login(alice)
    url = reverse("admin:contacts_organization_change", args=[alice_org.pk])
    data = {
        "name": "Alice Org",
        "logo_url": "",
        "portal_host": "",
        "portal_editable_fields": ["first_name", "password"],
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "password is not one of the available choices" in str(response.context["adminform"].form.errors)
    data["portal_editable_fields"] = ["first_name", "phone"]
    assert client.post(url, data).status_code == 302
    alice_org.refresh_from_db()
    assert alice_org.portal_editable_fields == ["first_name", "phone"]


def test_the_editable_fields_are_a_checkbox_list_of_fields_and_the_organizations_attributes(
    client, alice, alice_org, charlie_org
):
    from contacts.models import AttributeDefinition

    AttributeDefinition.objects.create(organization=alice_org, key="shoe_size", label="Shoe size", type="number")
    AttributeDefinition.objects.create(organization=charlie_org, key="theirs", label="Theirs", type="text")
    alice_org.portal_editable_fields = ["language", "shoe_size"]
    alice_org.save()
    client.force_login(alice)
    url = reverse("admin:contacts_organization_change", args=[alice_org.pk])
    page = client.get(url, headers={"accept-language": "de"})
    field = page.context["adminform"].form["portal_editable_fields"]
    assert [(choice.data["value"], choice.data["label"]) for choice in field.subwidgets] == [
        ("salutation", "Anrede"), ("first_name", "Vorname"), ("last_name", "Nachname"), ("phone", "Telefon"),
        ("language", "Sprache"), ("shoe_size", "Shoe size"),
    ]  # fmt: skip
    assert [choice.data["value"] for choice in field.subwidgets if choice.data["selected"]] == ["language", "shoe_size"]
    assert 'type="checkbox"' in page.text and "Benutzerdefinierte Attribute" in page.text
    data = {"name": "Alice Org", "logo_url": "", "portal_host": "", "portal_editable_fields": ["theirs"]}
    assert client.post(url, data).status_code == 200  # another organization's attribute is no choice
    data["portal_editable_fields"] = []
    assert client.post(url, data).status_code == 302
    alice_org.refresh_from_db()
    assert alice_org.portal_editable_fields == []


def test_organization_users_edit_memberships_on_the_contact_page(client, bob, alice_org, charlie_org):
    from contacts.models import Contact, Group, Membership

    news = Group.objects.create(organization=alice_org, name="News")
    theirs = Group.objects.create(organization=charlie_org, name="Theirs")
    contact = Contact.objects.create(organization=alice_org, email="m@example.com")
    client.force_login(bob)
    url = reverse("admin:contacts_contact_change", args=[contact.pk])
    form = client.get(url).context["inline_admin_formsets"][0].formset.empty_form
    assert list(form.fields["group"].queryset) == [news]
    data = {
        "email": "m@example.com", "language": "en", "attributes": "{}", **inline_management_forms(),
        "memberships-TOTAL_FORMS": "1", "memberships-0-group": str(news.pk), "memberships-0-state": "member",
        "memberships-0-reason": "",
    }  # fmt: skip
    assert client.post(url, data).status_code == 302
    assert Membership.objects.get(contact=contact).group == news
    data["memberships-0-group"] = str(theirs.pk)
    data["memberships-INITIAL_FORMS"] = "0"
    Membership.objects.all().delete()
    assert client.post(url, data).status_code == 200  # another organization's group is not a choice
    assert not Membership.objects.exists()


def test_list_filters_offer_only_the_organizations_own_objects(client, alice, alice_org, charlie_org):
    # Two of each: a filter with a single choice is not shown at all.
    AutomationFactory(organization=alice_org, name="Alice welcome")
    AutomationFactory(organization=alice_org, name="Alice reminder")
    AutomationFactory(organization=charlie_org, name="Charlie secret plan")
    Tag.objects.create(organization=alice_org, name="alice-vip")
    Tag.objects.create(organization=alice_org, name="alice-new")
    Tag.objects.create(organization=charlie_org, name="charlie-secret-tag")
    client.force_login(alice)
    runs = client.get("/admin/automations/run/").text
    contacts = client.get("/admin/contacts/contact/").text
    assert "Alice welcome" in runs and "Charlie secret plan" not in runs
    assert "alice-vip" in contacts and "charlie-secret-tag" not in contacts


@pytest.mark.parametrize(
    ("path", "data", "existing"),
    [
        ("/admin/contacts/tag/add/", {"name": "VIP"}, lambda org: Tag.objects.create(organization=org, name="vip")),
        (
            "/admin/contacts/group/add/",
            {"name": "newsletter", "description": ""},
            lambda org: Group.objects.create(organization=org, name="Newsletter"),
        ),
        (
            "/admin/automations/holiday/add/",
            {"date": "2026-12-25", "name": "Christmas"},
            lambda org: Holiday.objects.create(organization=org, date="2026-12-25", name="Xmas"),
        ),
    ],
)
def test_a_duplicate_name_is_a_form_error_not_a_crash(client, alice, alice_org, charlie_org, path, data, existing):
    existing(alice_org)
    existing(charlie_org)
    client.force_login(alice)
    response = client.post(path, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors


@pytest.mark.parametrize("year", ["1", "9999"])
def test_a_date_drill_down_out_of_range_is_refused_not_a_crash(client, alice, year):
    client.force_login(alice)
    response = client.get(f"/admin/automations/run/?created_at__year={year}")
    assert response.status_code == 302 and "e=1" in response["Location"]  # the admin's "invalid lookup"


def test_a_subscription_set_on_the_contact_page_is_recorded_as_consent_and_fires_its_event(client, bob, alice_org):
    from automations.models import Event
    from contacts.models import Contact, Membership

    news = Group.objects.create(organization=alice_org, name="News")
    contact = Contact.objects.create(organization=alice_org, email="m@example.com")
    client.force_login(bob)
    url = reverse("admin:contacts_contact_change", args=[contact.pk])
    data = {
        "email": "m@example.com", "language": "en", "attributes": "{}", **inline_management_forms(),
        "memberships-TOTAL_FORMS": "1", "memberships-0-group": str(news.pk), "memberships-0-state": "subscribed",
        "memberships-0-reason": "",
    }  # fmt: skip
    assert client.post(url, data).status_code == 302
    membership = Membership.objects.get(contact=contact)
    data.update({"memberships-INITIAL_FORMS": "1", "memberships-0-id": str(membership.pk)})
    assert client.post(url, data).status_code == 302  # saved again unchanged: nothing new recorded
    data.update({"memberships-0-state": "unsubscribed", "memberships-0-reason": "asked by phone"})
    assert client.post(url, data).status_code == 302
    records = list(ConsentRecord.objects.filter(contact=contact).order_by("at", "id").values_list("action", "source"))
    assert records == [("subscribed", "admin (bob)"), ("unsubscribed", "admin (bob)")]
    events = list(Event.objects.filter(contact=contact, type__in=["subscribed", "unsubscribed"]).order_by("pk"))
    assert [e.type for e in events] == ["subscribed", "unsubscribed"]


def test_an_organization_added_in_the_admin_answers_forgot_password(client, host_admin):
    from contacts.models import Organization

    client.force_login(host_admin)
    data = {"name": "Dora Org", "slug": "dora", "logo_url": "", "portal_host": "", "portal_editable_fields": []}
    assert client.post(reverse("admin:contacts_organization_add"), data).status_code == 302
    organization = Organization.objects.get(slug="dora")
    automation = Automation.objects.get(organization=organization)
    assert (automation.event_type, automation.job_type) == ("password_requested", "send_password_to_contact")


def test_a_membership_deleted_on_the_contact_page_is_forgotten(client, bob, alice_org):
    from contacts.models import Contact, Membership

    news = Group.objects.create(organization=alice_org, name="News")
    contact = Contact.objects.create(organization=alice_org, email="m@example.com")
    membership = Membership.objects.create(contact=contact, group=news, state=Membership.State.MEMBER)
    client.force_login(bob)
    url = reverse("admin:contacts_contact_change", args=[contact.pk])
    data = {
        "email": "m@example.com", "language": "en", "attributes": "{}", **inline_management_forms(),
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "1", "memberships-0-id": str(membership.pk),
        "memberships-0-group": str(news.pk), "memberships-0-state": "member", "memberships-0-reason": "",
        "memberships-0-DELETE": "on",
    }  # fmt: skip
    assert client.post(url, data).status_code == 302
    assert not Membership.objects.filter(contact=contact).exists()
    assert not ConsentRecord.objects.filter(contact=contact).exists()
