"""A marketer builds a selection with the row editor in the admin, in a real browser."""

import pytest

from contacts import services
from contacts.models import Selection, Tag
from tests.factories import ContactFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_marketer_builds_a_selection_from_rows(page, live_server):
    organization = OrganizationFactory(slug="alice", name="Alice Org")
    UserFactory(username="bob", organization=organization, role="marketer", password="correct horse battery staple")
    Tag.objects.create(organization=organization, name="customer")
    for email, language, tagged in [
        ("a@example.com", "de", True),
        ("b@example.com", "de", False),
        ("c@example.com", "en", True),
    ]:
        contact = ContactFactory(organization=organization, email=email, language=language)
        if tagged:
            services.add_tag(contact=contact, name="customer")

    page.goto("/admin/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto("/admin/contacts/selection/add/")

    page.get_by_label("Name").fill("German customers")

    page.get_by_role("button", name="+ condition").click()
    page.get_by_label("field", exact=True).select_option("language")
    page.get_by_label("value").fill("de")
    page.get_by_label("value").dispatch_event("change")
    page.get_by_role("button", name="+ condition").click()
    page.get_by_label("kind").nth(1).select_option("tag")
    page.get_by_role("button", name="Save and continue editing").click()

    page.get_by_text("was added successfully").wait_for()
    selection = Selection.objects.get(name="German customers")
    assert selection.definition == {
        "match": "all",
        "conditions": [{"field": "language", "op": "eq", "value": "de"}, {"tag": "customer"}],
    }
    current_count = page.locator(".field-row", has=page.get_by_text("Contacts matching now", exact=True))
    assert current_count.locator(".readonly").inner_text() == "1"
    assert errors == []
