"""POST /api/v1/contacts/<id>/activities: an activity of a planning type, recorded through
the API, starts the type's ActiveCampaign automation."""

import pytest

from integrations.activecampaign.models import PlanningType
from tests.api.conftest import client_for
from tests.factories import ContactFactory
from tests.integrations.activecampaign.conftest import push_due


@pytest.fixture
def alice_api(alice_org):
    from api.credentials import create_api_key
    from api.models import Scope

    return client_for(create_api_key(organization=alice_org, name="ERP", scope=Scope.WRITE)[1])


def test_an_activity_recorded_through_the_api_starts_the_automation(alice_api, alice_org, connection, ac):
    PlanningType.objects.create(organization=alice_org, name="Beratung", automation="42")
    contact = ContactFactory(organization=alice_org, email="jana@example.de")
    url = f"/api/v1/contacts/{contact.pk}/activities"
    response = alice_api.post(url, {"planning_type": "Beratung"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    push_due(connection)
    [activity] = alice_api.get(url).json()["results"]
    assert activity["status"] == "synced" and activity["planning_type"] == "Beratung"
    assert list(ac.state.contact_automations.values()) == [(ac.state.contact_id("jana@example.de"), "42")]


def test_charlies_planning_types_and_contacts_are_not_alices(alice_api, alice_org, charlie_org, connection):
    PlanningType.objects.create(organization=charlie_org, name="Beratung", automation="42")
    contact = ContactFactory(organization=alice_org)
    response = alice_api.post(f"/api/v1/contacts/{contact.pk}/activities", {"planning_type": "Beratung"}, format="json")
    assert response.status_code == 400
    PlanningType.objects.create(organization=alice_org, name="Beratung", automation="42")
    charlies = ContactFactory(organization=charlie_org)
    response = alice_api.post(
        f"/api/v1/contacts/{charlies.pk}/activities", {"planning_type": "Beratung"}, format="json"
    )
    assert response.status_code == 404
