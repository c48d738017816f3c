"""Names are one line, wherever they come in: a name with its own lines would put a
stranger's text into a mail that carries the organization's brand."""

import io

import pytest
from django.core.exceptions import ValidationError

from contacts import imports, services
from contacts.models import Contact, ContactImport
from contacts.validators import validate_single_line
from tests.api.conftest import alice_api, alice_key  # noqa: F401 - fixtures

MESSAGE = "Line breaks are not allowed here."


@pytest.mark.parametrize("value", ["Eve\nBuy now", "Eve\r\nx", "Eve\u2028x", "Eve\x85x"])
def test_the_validator_refuses_every_kind_of_line_break(value):
    with pytest.raises(ValidationError) as error:
        validate_single_line(value)
    assert error.value.code == "line_break"


def test_the_service_refuses_a_name_with_a_line_break(alice_org):
    with pytest.raises(ValidationError) as error:
        services.create_contact(organization=alice_org, email="eve@example.com", first_name="Eve\nClick here")
    assert error.value.message_dict["first_name"] == [MESSAGE]
    assert not Contact.objects.exists()


def test_the_admin_shows_a_field_error(client, bob):
    client.force_login(bob)
    response = client.post(
        "/admin/contacts/contact/add/",
        {"email": "eve@example.com", "first_name": "Eve", "last_name": "Doe\nClick here", "language": "en"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["last_name"] == [MESSAGE]


def test_the_api_answers_with_a_field_error(alice_api):  # noqa: F811
    body = {"email": "eve@example.com", "first_name": "Eve\nClick here"}
    response = alice_api.post("/api/v1/contacts", body, format="json")
    assert response.status_code == 400
    assert MESSAGE in str(response.json())
    assert "first_name" in str(response.json())
    assert not Contact.objects.exists()


def test_the_portal_sign_up_shows_a_field_error(client, alice_org):
    response = client.post("/portal/alice/register/", {"email": "eve@example.com", "first_name": "Eve\nClick here"})
    assert MESSAGE in response.text
    assert not Contact.objects.exists()


def test_an_import_reports_the_row(alice_org, django_capture_on_commit_callbacks):
    text = 'email,first_name\nok@example.com,Ok\neve@example.com,"Eve\nClick here"\n'
    contact_import = imports.create_import(
        organization=alice_org, file_name="c.csv", binary=io.BytesIO(text.encode()), user=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        imports.start_import(contact_import)
    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.FINISHED
    assert contact_import.errors == [{"line": 3, "errors": {"first_name": [MESSAGE]}}]
    assert list(Contact.objects.values_list("email", flat=True)) == ["ok@example.com"]


def test_names_from_other_systems_are_flattened_not_lost(alice_org):
    contact = services.find_or_create_contact(
        organization=alice_org, email="eve@example.com", source="test", first_name="Eve\nDoe"
    )
    assert contact.first_name == "Eve Doe"


def test_a_company_is_one_line_too(alice_org):
    with pytest.raises(ValidationError) as error:
        services.create_contact(organization=alice_org, email="eve@example.com", company="Evil Inc\nClick here")
    assert error.value.message_dict["company"] == [MESSAGE]
