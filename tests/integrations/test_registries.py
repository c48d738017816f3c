"""The integrations' secrets and personal data reach the registries: key rotation keeps
signed webhooks and ActiveCampaign working, erasure leaves the address in no stored
notification (the two defects of the hand-kept lists)."""

import io

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.db import models

from contacts import gdpr
from engage import crypto
from integrations.activecampaign.models import PlanningType
from integrations.common.models import InboundNotification
from integrations.salesforce.models import SalesforceNotification, SalesforceRecord
from integrations.webhooks.models import WebhookEndpoint
from integrations.webhooks.services import add_webhook_secret
from tests.factories import ContactFactory
from tests.integrations.activecampaign.conftest import connect
from tests.integrations.activecampaign.loopback import Server
from tests.integrations.activecampaign.test_activities import start
from tests.integrations.helpers import deliver_salesforce
from tests.integrations.webhooks.test_signed_webhooks import ORDER, SECRET, send

ADDRESS = "jana.mueller@example.de"  # in the Salesforce fixtures and the webhook payload


@pytest.fixture
def activecampaign(settings):
    settings.ENGAGE_HTTP_ALLOW_PRIVATE = True
    with Server() as server:
        yield server.url


@pytest.fixture
def jana(alice_org):
    return ContactFactory(organization=alice_org, email=ADDRESS, first_name="Jana", last_name="Müller")


@pytest.fixture
def rotate_keys(settings):
    """Encrypt with an old key; the returned function follows the documented procedure:
    a new key in front, rotate, then drop the old key."""

    def use(*keys: str) -> None:
        settings.ENGAGE_ENCRYPTION_KEYS = list(keys)
        crypto._fernet.cache_clear()

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    use(old)

    def rotate() -> None:
        use(new, old)
        call_command("rotate_encryption_keys", stdout=io.StringIO())
        use(new)

    yield rotate
    crypto._fernet.cache_clear()


def test_signed_webhooks_and_activecampaign_work_after_the_old_key_is_dropped(
    client, alice_org, jana, activecampaign, rotate_keys
):
    endpoint = WebhookEndpoint.objects.create(organization=alice_org, name="Opacc ERP")
    add_webhook_secret(endpoint=endpoint, secret=SECRET)
    connect(alice_org, activecampaign)

    rotate_keys()

    assert send(client, endpoint, ORDER).status_code == 200
    run = start(alice_org, jana, PlanningType.objects.create(organization=alice_org, name="Beratung", automation="42"))
    assert run.status == "succeeded", run.error


def test_every_registered_secret_decrypts_with_the_new_key_alone(alice_org, activecampaign, rotate_keys):
    add_webhook_secret(endpoint=WebhookEndpoint.objects.create(organization=alice_org, name="ERP"))
    connect(alice_org, activecampaign)
    rotate_keys()
    checked = 0
    for entry in crypto.encrypted_columns():
        for row in entry.model._default_manager.all():
            for name in entry.fields:
                if getattr(row, name):
                    crypto.decrypt(getattr(row, name))
                    checked += 1
    assert checked >= 2


def places_holding(text: str) -> list[str]:
    """Every column of every model in which `text` appears, as "app.Model.column"."""
    kinds = (models.CharField, models.TextField, models.JSONField)
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if (
                isinstance(field, kinds)
                and model._default_manager.filter(**{f"{field.name}__icontains": text}).exists()
            ):
                found.append(f"{model._meta.label}.{field.name}")
    return found


def test_erasure_leaves_the_address_nowhere_in_the_database(client, alice_org, jana):
    deliver_salesforce(client, alice_org, "salesforce_outbound_contacts.xml")
    deliver_salesforce(client, alice_org, "salesforce_outbound_case.xml")
    endpoint = WebhookEndpoint.objects.create(organization=alice_org, name="Opacc ERP")
    add_webhook_secret(endpoint=endpoint, secret=SECRET)
    assert send(client, endpoint, ORDER).status_code == 200
    # The address is stored by all three before erasure, so the check below means something.
    assert {"integrations.SalesforceNotification.fields", "integrations.InboundNotification.payload"} <= set(
        places_holding(ADDRESS)
    )
    assert SalesforceRecord.objects.filter(contact=jana).exists()

    gdpr.erase_contact(jana)

    assert places_holding(ADDRESS) == []
    assert places_holding("Jana") == []
    # Statistics stay: the notifications are kept, emptied.
    assert SalesforceNotification.objects.count() >= 2 and InboundNotification.objects.count() == 1


def test_the_export_contains_the_notifications_about_the_contact(client, alice_org, jana):
    deliver_salesforce(client, alice_org, "salesforce_outbound_case.xml")
    endpoint = WebhookEndpoint.objects.create(organization=alice_org, name="Opacc ERP")
    add_webhook_secret(endpoint=endpoint, secret=SECRET)
    send(client, endpoint, ORDER)
    data = gdpr.export_contact(jana)
    assert data["salesforce_notifications"][0]["object"] == "Case"
    assert data["inbound_notifications"][0]["payload"] == ORDER
