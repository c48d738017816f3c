"""A marketer builds a selection with the row editor in the admin, in a real browser."""

import pytest
from playwright.sync_api import expect

from contacts import services
from contacts.models import Selection, Tag
from tests.browser.admin_pages import log_in_to_admin
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

    log_in_to_admin(page)
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
    expect(page.locator(".selection-count")).to_have_text("1")
    assert errors == []


def test_the_count_follows_the_conditions_while_editing(page, live_server):
    from contacts.models import AttributeDefinition

    organization = OrganizationFactory(slug="alice", name="Alice Org")
    UserFactory(username="bob", organization=organization, role="marketer", password="correct horse battery staple")
    AttributeDefinition.objects.create(organization=organization, key="score", label="Score", type="number")
    AttributeDefinition.objects.create(
        organization=organization, key="tier", label="Tier", type="choice", choices=["gold", "silver"]
    )
    AttributeDefinition.objects.create(organization=organization, key="vip", label="VIP", type="boolean")
    for email, score, tier, vip in [
        ("a@example.com", 50, "gold", True),
        ("b@example.com", 20, "silver", False),
        ("c@example.com", 5, "gold", False),
    ]:
        ContactFactory(organization=organization, email=email, attributes={"score": score, "tier": tier, "vip": vip})
    ContactFactory(organization=OrganizationFactory(), email="other@example.com")  # never counted

    log_in_to_admin(page)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/admin/contacts/selection/add/")
    count = page.locator(".selection-count")
    expect(count).to_have_text("3")  # no condition yet: every contact of the organization

    page.get_by_role("button", name="+ condition").click()
    page.get_by_label("kind").select_option("attribute")
    page.get_by_label("attribute", exact=True).select_option(label="Score")
    page.get_by_label("operator").select_option(label="is at least")
    value = page.get_by_label("value")
    assert value.get_attribute("type") == "number"
    value.fill("10")
    expect(count).to_have_text("2")
    value.fill("30")
    expect(count).to_have_text("1")
    page.get_by_label("operator").select_option(label="is one of (comma-separated)")
    page.get_by_label("value").fill("5, 20")
    expect(count).to_have_text("2")

    page.get_by_label("attribute", exact=True).select_option(label="Tier")
    page.get_by_label("operator").select_option(label="is")
    assert page.get_by_label("value").evaluate("node => node.tagName") == "SELECT"
    page.get_by_label("value").select_option("gold")
    expect(count).to_have_text("2")

    page.get_by_label("attribute", exact=True).select_option(label="VIP")
    operators = page.get_by_label("operator").locator("option").all_inner_texts()
    assert operators == ["is", "is not", "is empty", "is not empty"]  # nothing that a yes/no cannot answer
    page.get_by_label("value").select_option(label="yes")
    expect(count).to_have_text("1")
    page.get_by_label("value").select_option(label="no")
    expect(count).to_have_text("2")

    page.get_by_label("kind").select_option("tag")  # no tag exists: the input asks for one
    page.get_by_label("tag").fill("nobody")
    page.get_by_label("tag").dispatch_event("change")
    expect(page.locator(".selection-count-error")).to_contain_text("unknown tag “nobody”")
    expect(count).to_have_text("—")
    assert errors == []
