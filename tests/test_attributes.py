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


def test_the_contact_form_has_a_typed_field_per_attribute(client, alice, definitions):
    client.force_login(alice)
    form = client.get("/admin/contacts/contact/add/").context["adminform"].form
    assert "attributes" not in form.fields  # no JSON box
    fields = {name: form.fields[name] for name in form.fields if name.startswith("attr_")}
    assert {name: field.label for name, field in fields.items()} == {
        "attr_nickname": "Nickname", "attr_score": "Score", "attr_birthday": "Birthday", "attr_vip": "Vip",
        "attr_tier": "Tier",
    }  # fmt: skip
    assert fields["attr_score"].widget.input_type == "number"
    assert fields["attr_birthday"].widget.input_type == "date"
    assert [value for value, _ in fields["attr_tier"].choices] == ["", "gold", "silver"]
    assert [value for value, _ in fields["attr_vip"].choices] == ["", "true", "false"]


def post_contact(client, **attributes):
    return client.post(
        "/admin/contacts/contact/add/",
        {"email": "typed@example.com", "language": "en", **attributes, **inline_management_forms()},
    )


def test_admin_form_shows_each_attribute_error_on_its_field_and_saves_nothing(client, alice, definitions):
    client.force_login(alice)
    response = post_contact(client, attr_score="lots", attr_tier="bronze", attr_birthday="1990-02-30")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["attr_score"] == ["Enter a number."]
    assert "bronze is not one of the available choices" in errors["attr_tier"][0]
    assert errors["attr_birthday"] == ["Enter a valid date."]
    assert not Contact.objects.exists()


def test_a_number_beyond_the_limit_is_refused_on_its_field(client, alice, definitions):
    client.force_login(alice)
    response = post_contact(client, attr_score="1e20")
    assert response.context["adminform"].form.errors["attr_score"] == ["Enter a number between -10¹⁵ and 10¹⁵."]


def test_a_required_attribute_must_be_filled_in(client, alice, definitions):
    AttributeDefinition.objects.filter(key="tier").update(required=True)
    client.force_login(alice)
    response = post_contact(client, attr_score="3")
    assert response.context["adminform"].form.errors["attr_tier"] == ["This field is required."]


def test_admin_form_stores_typed_values_and_leaves_empty_ones_out(client, alice, definitions):
    client.force_login(alice)
    response = post_contact(
        client, attr_score="12", attr_vip="true", attr_birthday="1990-02-28", attr_tier="gold", attr_nickname=""
    )
    assert response.status_code == 302
    assert Contact.objects.get().attributes == {"score": 12, "vip": True, "birthday": "1990-02-28", "tier": "gold"}


def test_the_change_form_shows_the_stored_values_and_keeps_undefined_ones(client, alice, definitions):
    contact = Contact.objects.create(
        organization=definitions, email="k@example.com", attributes={"score": 4.5, "vip": False, "legacy": "x"}
    )
    client.force_login(alice)
    url = f"/admin/contacts/contact/{contact.pk}/change/"
    form = client.get(url).context["adminform"].form
    assert (form["attr_score"].value(), form["attr_vip"].value(), form["attr_tier"].value()) == (4.5, "false", None)
    data = {"email": "k@example.com", "language": "en", "attr_score": "5", "attr_vip": "", **inline_management_forms()}
    assert client.post(url, data).status_code == 302
    contact.refresh_from_db()
    assert contact.attributes == {"score": 5, "legacy": "x"}


def test_a_host_administrator_edits_the_contacts_organizations_attributes(client, host_admin, definitions):
    contact = Contact.objects.create(organization=definitions, email="k@example.com")
    client.force_login(host_admin)
    form = client.get(f"/admin/contacts/contact/{contact.pk}/change/").context["adminform"].form
    assert "attr_score" in form.fields and "attributes" not in form.fields


def test_another_organizations_attributes_are_no_fields(client, charlie, definitions):
    client.force_login(charlie)
    form = client.get("/admin/contacts/contact/add/").context["adminform"].form
    assert not [name for name in form.fields if name.startswith("attr_")]


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
