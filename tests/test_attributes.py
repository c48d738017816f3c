"""Custom attribute values are checked against their definition, in every entry point."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from contacts.attributes import clean_attributes
from contacts.models import AttributeDefinition, Contact
from tests.conftest import inline_management_forms


@pytest.fixture
def definitions(alice_org):
    for key, kind, extra in [
        ("nickname", "text", {}),
        ("score", "number", {}),
        ("birthday", "date", {}),
        ("vip", "boolean", {}),
        ("tier", "choice", {"choices": ["gold", "silver"]}),
    ]:
        AttributeDefinition.objects.create(organization=alice_org, key=key, label=key.title(), type=kind, **extra)
    return alice_org


@pytest.mark.parametrize(
    ("key", "raw", "stored"),
    [
        ("nickname", "Eri", "Eri"),
        ("score", "42", 42),
        ("score", "4,5", 4.5),
        ("score", 7.25, 7.25),
        ("birthday", "1990-02-28", "1990-02-28"),
        ("birthday", date(1990, 2, 28), "1990-02-28"),
        ("vip", "ja", True),
        ("vip", "false", False),
        ("tier", "gold", "gold"),
        ("tier", "", None),
    ],
)
def test_valid_values_are_stored_in_their_typed_form(definitions, key, raw, stored):
    assert clean_attributes(definitions, {key: raw}) == {key: stored}


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("score", "many", "Enter a number."),
        ("score", True, "Enter a number."),
        ("score", "nan", "Enter a number."),
        ("birthday", "28.02.1990", "YYYY-MM-DD"),
        ("birthday", "1990-02-30", "YYYY-MM-DD"),
        ("vip", "maybe", "yes or no"),
        ("tier", "bronze", "not one of: gold, silver"),
        ("nickname", "x" * 1001, "At most 1000"),
        ("unknown", "x", "Unknown attribute"),
    ],
)
def test_invalid_values_are_refused_with_a_message_per_key(definitions, key, raw, message):
    with pytest.raises(ValidationError) as error:
        clean_attributes(definitions, {key: raw})
    assert message in " ".join(error.value.message_dict[key])


def test_required_attributes_must_be_present_unless_partial(definitions):
    AttributeDefinition.objects.filter(key="tier").update(required=True)
    with pytest.raises(ValidationError) as error:
        clean_attributes(definitions, {"score": 1})
    assert list(error.value.message_dict) == ["tier"]
    assert clean_attributes(definitions, {"score": 1}, partial=True) == {"score": 1}


def test_other_organizations_definitions_do_not_apply(definitions, charlie_org):
    with pytest.raises(ValidationError):
        clean_attributes(charlie_org, {"score": 1})


def test_admin_form_shows_attribute_errors_and_saves_nothing(client, alice, definitions):
    client.force_login(alice)
    response = client.post(
        "/admin/contacts/contact/add/",
        {
            "email": "typed@example.com",
            "language": "en",
            "attributes": '{"score": "lots", "tier": "bronze"}',
            **inline_management_forms(),
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["attributes"]
    assert any(e.startswith("score:") for e in errors) and any(e.startswith("tier:") for e in errors)
    assert not Contact.objects.exists()


def test_admin_form_stores_converted_values(client, alice, definitions):
    client.force_login(alice)
    response = client.post(
        "/admin/contacts/contact/add/",
        {
            "email": "typed@example.com",
            "language": "en",
            "attributes": '{"score": "12", "vip": "yes"}',
            **inline_management_forms(),
        },
    )
    assert response.status_code == 302
    assert Contact.objects.get().attributes == {"score": 12, "vip": True}


@pytest.mark.parametrize("key", ["a__b", "Shoe", "1st", "shoe-size", "_x"])
def test_attribute_keys_must_work_in_queries_and_columns(alice_org, key):
    with pytest.raises(ValidationError) as error:
        AttributeDefinition(organization=alice_org, key=key, label="X", type="text").full_clean()
    assert "key" in error.value.message_dict


def test_host_admin_cannot_attach_another_organizations_tag(client, host_admin, alice_org, charlie_org):
    from contacts.models import Tag

    theirs = Tag.objects.create(organization=charlie_org, name="theirs")
    client.force_login(host_admin)
    response = client.post(
        "/admin/contacts/contact/add/",
        {
            "organization": alice_org.pk,
            "email": "t@example.com",
            "language": "en",
            "attributes": "{}",
            "tags": [theirs.pk],
            **inline_management_forms(),
        },
    )
    assert response.status_code == 200
    assert "another organization" in str(response.context["adminform"].form.errors["tags"])
