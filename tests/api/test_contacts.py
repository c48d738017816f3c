"""Contacts, attributes, tags, transactions, groups and memberships through the API."""

from __future__ import annotations

import pytest

from automations.models import Event
from contacts.models import AttributeDefinition, ConsentRecord, Contact, Group, Membership, Tag
from contacts.services import blacklist
from tests.factories import ContactFactory


@pytest.fixture
def jana(alice_org):
    return ContactFactory(organization=alice_org, email="jana@example.com")


@pytest.fixture
def shoe_size(alice_org):
    return AttributeDefinition.objects.create(organization=alice_org, key="shoe_size", label="Shoe size", type="number")


def test_create_a_contact_fires_contact_created(alice_api, alice_org):
    response = alice_api.post("/api/v1/contacts", {"email": "new@example.com", "first_name": "N"}, format="json")
    assert response.status_code == 201
    contact = Contact.objects.get(organization=alice_org, email="new@example.com")
    assert response.json()["id"] == contact.pk
    assert Event.objects.filter(contact=contact, type="contact_created", source="api").exists()


def test_a_contact_who_registered_fires_registered_once(alice_api, alice_org):
    body = {"email": "signup@example.com", "registered": True}
    assert alice_api.post("/api/v1/contacts", body, format="json").status_code == 201
    contact = Contact.objects.get(organization=alice_org, email="signup@example.com")
    assert list(Event.objects.filter(contact=contact).values_list("type", flat=True).order_by("id")) == [
        "contact_created",
        "registered",
    ]
    # The same person again, through the upsert: known already, so nothing is registered twice.
    assert alice_api.put("/api/v1/contacts/by-email/signup@example.com", body, format="json").status_code == 200
    assert Event.objects.filter(contact=contact, type="registered").count() == 1


def test_upsert_and_bulk_register_new_contacts_only_when_asked(alice_api, alice_org):
    alice_api.put("/api/v1/contacts/by-email/a@example.com", {"registered": True}, format="json")
    alice_api.post(
        "/api/v1/contacts/bulk",
        {"contacts": [{"email": "b@example.com", "registered": True}, {"email": "c@example.com"}]},
        format="json",
    )
    registered = Event.objects.filter(type="registered").values_list("contact__email", flat=True)
    assert sorted(registered) == ["a@example.com", "b@example.com"]


def test_the_same_address_twice_is_400_on_email(alice_api, jana):
    response = alice_api.post("/api/v1/contacts", {"email": "JANA@example.com"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_attributes_are_checked_against_their_definitions(alice_api, shoe_size):
    bad = alice_api.post(
        "/api/v1/contacts", {"email": "a@example.com", "attributes": {"shoe_size": "big"}}, format="json"
    )
    assert bad.status_code == 400
    assert "attributes.shoe_size" in bad.json()["errors"]
    unknown = alice_api.post("/api/v1/contacts", {"email": "a@example.com", "attributes": {"hat": 1}}, format="json")
    assert "attributes.hat" in unknown.json()["errors"]
    good = alice_api.post(
        "/api/v1/contacts", {"email": "a@example.com", "attributes": {"shoe_size": "38"}}, format="json"
    )
    assert good.status_code == 201
    assert good.json()["attributes"] == {"shoe_size": 38}


def test_patch_merges_attributes_and_fires_profile_changed(alice_api, jana, shoe_size):
    AttributeDefinition.objects.create(organization=jana.organization, key="city", label="City")
    jana.attributes = {"city": "Bern"}
    jana.save()
    response = alice_api.patch(f"/api/v1/contacts/{jana.pk}", {"attributes": {"shoe_size": 40}}, format="json")
    assert response.status_code == 200
    jana.refresh_from_db()
    assert jana.attributes == {"city": "Bern", "shoe_size": 40}
    assert Event.objects.filter(contact=jana, type="profile_changed").exists()


def test_unknown_fields_are_400_not_ignored(alice_api, jana):
    response = alice_api.patch(f"/api/v1/contacts/{jana.pk}", {"frist_name": "X"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"frist_name": ["Unknown field."]}


def test_charlie_gets_404_for_alices_contact_everywhere(charlie_api, jana):
    url = f"/api/v1/contacts/{jana.pk}"
    assert charlie_api.get(url).status_code == 404
    assert charlie_api.patch(url, {"first_name": "X"}, format="json").status_code == 404
    assert charlie_api.delete(url).status_code == 404
    assert charlie_api.post(f"{url}/tags", {"name": "x"}, format="json").status_code == 404
    assert charlie_api.get(f"{url}/transactions").status_code == 404
    assert charlie_api.post(f"{url}/transactions", {"type": "order"}, format="json").status_code == 404
    assert charlie_api.get("/api/v1/contacts").json()["count"] == 0
    assert charlie_api.get("/api/v1/contacts?email=jana@example.com").json()["count"] == 0
    jana.refresh_from_db()
    assert jana.first_name == "Erika"


def test_delete_a_contact(alice_api, jana):
    assert alice_api.delete(f"/api/v1/contacts/{jana.pk}").status_code == 204
    assert not Contact.objects.filter(pk=jana.pk).exists()


def test_list_filters_by_email_and_tag(alice_api, jana, alice_org):
    ContactFactory(organization=alice_org, email="other@example.com")
    jana.tags.add(Tag.objects.create(organization=alice_org, name="vip"))
    assert [c["email"] for c in alice_api.get("/api/v1/contacts?email=JANA@example.com").json()["results"]] == [
        "jana@example.com"
    ]
    assert [c["email"] for c in alice_api.get("/api/v1/contacts?tag=VIP").json()["results"]] == ["jana@example.com"]
    ordered = alice_api.get("/api/v1/contacts?ordering=-email").json()["results"]
    assert [c["email"] for c in ordered] == ["other@example.com", "jana@example.com"]


def test_pages_hold_page_size_contacts(alice_api, alice_org):
    for index in range(3):
        ContactFactory(organization=alice_org, email=f"p{index}@example.com")
    page = alice_api.get("/api/v1/contacts?page_size=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert alice_api.get("/api/v1/contacts?page=9").status_code == 404


# --- Upsert by e-mail -------------------------------------------------------------------
def test_put_by_email_creates_then_updates(alice_api, alice_org):
    url = "/api/v1/contacts/by-email/erika@example.com"
    created = alice_api.put(url, {"first_name": "Erika"}, format="json")
    assert created.status_code == 201
    updated = alice_api.put(url.replace("erika@", "ERIKA@"), {"last_name": "Muster"}, format="json")
    assert updated.status_code == 200
    assert updated.json()["id"] == created.json()["id"]
    contact = Contact.objects.get(organization=alice_org)
    assert (contact.first_name, contact.last_name) == ("Erika", "Muster")


def test_put_by_email_with_an_invalid_address_is_400(alice_api):
    response = alice_api.put("/api/v1/contacts/by-email/not-an-address", {}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_put_by_email_never_touches_another_organizations_contact(charlie_api, jana):
    response = charlie_api.put("/api/v1/contacts/by-email/jana@example.com", {"first_name": "Evil"}, format="json")
    assert response.status_code == 201
    jana.refresh_from_db()
    assert jana.first_name == "Erika"


# --- Bulk upsert ------------------------------------------------------------------------
def test_bulk_upserts_up_to_1000_contacts(alice_api, alice_org, jana):
    items = [{"email": f"bulk{i}@example.com"} for i in range(999)] + [{"email": "jana@example.com", "phone": "1"}]
    response = alice_api.post("/api/v1/contacts/bulk", {"contacts": items}, format="json")
    assert response.status_code == 200
    assert (response.json()["created"], response.json()["updated"]) == (999, 1)
    assert Contact.objects.filter(organization=alice_org).count() == 1000
    jana.refresh_from_db()
    assert jana.phone == "1"


def test_bulk_of_1001_contacts_is_400_and_saves_nothing(alice_api, alice_org):
    items = [{"email": f"bulk{i}@example.com"} for i in range(1001)]
    response = alice_api.post("/api/v1/contacts/bulk", {"contacts": items}, format="json")
    assert response.status_code == 400
    assert "contacts" in response.json()["errors"]
    assert not Contact.objects.filter(organization=alice_org).exists()


def test_bulk_names_the_bad_item_and_saves_nothing(alice_api, alice_org):
    items = [{"email": "good@example.com"}, {"email": "x@example.com", "colour": "red"}, {"email": "nope"}]
    response = alice_api.post("/api/v1/contacts/bulk", {"contacts": items}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"contacts.1.colour", "contacts.2.email"}
    assert not Contact.objects.filter(organization=alice_org).exists()


def test_bulk_refuses_the_same_address_twice(alice_api):
    items = [{"email": "twice@example.com"}, {"email": "TWICE@example.com"}]
    response = alice_api.post("/api/v1/contacts/bulk", {"contacts": items}, format="json")
    assert response.status_code == 400
    assert "contacts.1.email" in response.json()["errors"]


# --- Tags and transactions ---------------------------------------------------------------
def test_tag_and_untag_a_contact(alice_api, jana):
    assert alice_api.post(f"/api/v1/contacts/{jana.pk}/tags", {"name": "vip"}, format="json").status_code == 200
    assert list(jana.tags.values_list("name", flat=True)) == ["vip"]
    assert alice_api.delete(f"/api/v1/contacts/{jana.pk}/tags/VIP").status_code == 204
    assert not jana.tags.exists()
    assert alice_api.delete(f"/api/v1/contacts/{jana.pk}/tags/VIP").status_code == 400


def test_tags_are_unique_per_organization(alice_api, charlie_api):
    assert alice_api.post("/api/v1/tags", {"name": "vip"}, format="json").status_code == 201
    assert alice_api.post("/api/v1/tags", {"name": "VIP"}, format="json").status_code == 400
    assert charlie_api.post("/api/v1/tags", {"name": "vip"}, format="json").status_code == 201
    mine = Tag.objects.get(organization__slug="alice")
    assert charlie_api.delete(f"/api/v1/tags/{mine.pk}").status_code == 404


def test_record_and_list_transactions(alice_api, jana):
    url = f"/api/v1/contacts/{jana.pk}/transactions"
    body = {"type": "order", "data": {"total": 42}, "occurred_at": "2026-11-01T10:00:00Z"}
    assert alice_api.post(url, body, format="json").status_code == 201
    assert alice_api.post(url, {"type": "x" * 65}, format="json").status_code == 400
    listed = alice_api.get(url).json()["results"]
    assert [(t["type"], t["data"]) for t in listed] == [("order", {"total": 42})]


# --- Attribute definitions ------------------------------------------------------------------
def test_define_attributes(alice_api, charlie_api, alice_org):
    response = alice_api.post(
        "/api/v1/attributes", {"key": "shoe_size", "label": "Size", "type": "number"}, format="json"
    )
    assert response.status_code == 201
    again = alice_api.post("/api/v1/attributes", {"key": "shoe_size", "label": "Size"}, format="json")
    assert "key" in again.json()["errors"]
    bad_key = alice_api.post("/api/v1/attributes", {"key": "Shoe Size", "label": "Size"}, format="json")
    assert "key" in bad_key.json()["errors"]
    choice = alice_api.post("/api/v1/attributes", {"key": "colour", "label": "C", "type": "choice"}, format="json")
    assert "choices" in choice.json()["errors"]
    assert charlie_api.get(f"/api/v1/attributes/{response.json()['id']}").status_code == 404


# --- Groups and memberships ------------------------------------------------------------------
@pytest.fixture
def news(alice_org):
    return Group.objects.create(organization=alice_org, name="News")


def test_subscribe_records_consent_and_fires_subscribed(alice_api, jana, news):
    response = alice_api.post(
        f"/api/v1/groups/{news.pk}/memberships", {"contact": jana.pk, "action": "subscribe"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "subscribed"
    assert ConsentRecord.objects.filter(contact=jana, group=news, action="subscribed", source="api").exists()
    assert Event.objects.filter(contact=jana, type="subscribed").exists()


def test_unsubscribe_keeps_the_reason(alice_api, jana, news):
    url = f"/api/v1/groups/{news.pk}/memberships"
    alice_api.post(url, {"contact": jana.pk, "action": "add"}, format="json")
    response = alice_api.post(url, {"contact": jana.pk, "action": "unsubscribe", "reason": "too many"}, format="json")
    assert response.json()["state"] == "unsubscribed"
    assert Membership.objects.get(contact=jana, group=news).reason == "too many"
    assert Event.objects.filter(contact=jana, type="unsubscribed").exists()
    listed = alice_api.get(url).json()["results"]
    assert [(m["email"], m["state"]) for m in listed] == [("jana@example.com", "unsubscribed")]


def test_a_blacklisted_contact_cannot_be_added_422(alice_api, jana, news):
    blacklist(contact=jana, group=news)
    url = f"/api/v1/groups/{news.pk}/memberships"
    response = alice_api.post(url, {"contact": jana.pk, "action": "subscribe"}, format="json")
    assert response.status_code == 422
    assert Membership.objects.get(contact=jana, group=news).state == "blacklisted"


def test_memberships_never_cross_organizations(alice_api, charlie_api, jana, news, charlie_org):
    theirs = ContactFactory(organization=charlie_org, email="c@example.com")
    url = f"/api/v1/groups/{news.pk}/memberships"
    assert alice_api.post(url, {"contact": theirs.pk, "action": "add"}, format="json").status_code == 404
    assert charlie_api.post(url, {"contact": theirs.pk, "action": "add"}, format="json").status_code == 404
    assert charlie_api.get(url).status_code == 404
    assert not Membership.objects.exists()


def test_group_names_are_unique_per_organization(alice_api, news):
    assert alice_api.post("/api/v1/groups", {"name": "NEWS"}, format="json").status_code == 400
    assert alice_api.patch(f"/api/v1/groups/{news.pk}", {"name": "News"}, format="json").status_code == 200


def test_a_new_contact_needs_its_required_attributes(alice_api, alice_org):
    AttributeDefinition.objects.create(organization=alice_org, key="customer_no", label="No", required=True)
    response = alice_api.post("/api/v1/contacts", {"email": "a@example.com"}, format="json")
    assert response.status_code == 400
    assert "attributes.customer_no" in response.json()["errors"]
    body = {"email": "a@example.com", "attributes": {"customer_no": "17"}}
    assert alice_api.post("/api/v1/contacts", body, format="json").status_code == 201


def test_a_unique_value_saved_concurrently_is_409_not_500(alice_api, jana, monkeypatch):
    # As if both checks ran before jana was saved by a concurrent request.
    monkeypatch.setattr("api.serializers.email_taken", lambda **kwargs: False)
    monkeypatch.setattr(Contact, "validate_constraints", lambda self, exclude=None: None)
    response = alice_api.post("/api/v1/contacts", {"email": "jana@example.com"}, format="json")
    assert response.status_code == 409
    assert response.json()["type"] == "conflict"
    assert Contact.objects.filter(email="jana@example.com").count() == 1


# --- Read by e-mail ---------------------------------------------------------------------
def test_get_by_email_reads_the_contact_whatever_the_case(alice_api, bob_api, jana):
    for api, address in [(alice_api, "jana@example.com"), (bob_api, "JANA@Example.COM")]:
        response = api.get(f"/api/v1/contacts/by-email/{address}")
        assert response.status_code == 200
        assert response.json()["id"] == jana.pk and response.json()["email"] == jana.email


def test_get_by_email_of_an_unknown_address_is_404(alice_api, jana):
    response = alice_api.get("/api/v1/contacts/by-email/nobody@example.com")
    assert response.status_code == 404 and response.json()["type"] == "not_found"


def test_get_by_email_never_shows_another_organizations_contact(charlie_api, jana):
    response = charlie_api.get("/api/v1/contacts/by-email/jana@example.com")
    assert response.status_code == 404
    assert "Erika" not in response.content.decode()
