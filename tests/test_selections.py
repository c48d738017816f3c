"""Selections: each kind of condition, all/any, one nested level, one query."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from contacts import services
from contacts.models import AttributeDefinition, Group, Selection
from contacts.selections import matching_contacts, validate_definition
from contacts.selectors import selection_matches
from tests.factories import ContactFactory, OrganizationFactory


@pytest.fixture
def people(alice_org):
    AttributeDefinition.objects.create(organization=alice_org, key="score", label="Score", type="number")
    AttributeDefinition.objects.create(organization=alice_org, key="since", label="Since", type="date")
    news = Group.objects.create(organization=alice_org, name="News")
    anna = ContactFactory(organization=alice_org, email="anna@example.com", language="de", attributes={"score": 50})
    ben = ContactFactory(organization=alice_org, email="ben@example.org", language="en", attributes={"score": 5})
    cleo = ContactFactory(organization=alice_org, email="cleo@example.com", language="de", attributes={})
    services.add_tag(contact=anna, name="Customer")
    services.add_tag(contact=ben, name="customer")
    services.subscribe(contact=anna, group=news, source="test")
    services.subscribe(contact=cleo, group=news, source="test")
    services.unsubscribe(contact=cleo, group=news, source="test", reason="too much")
    services.add_transaction(contact=ben, type="order", occurred_at=timezone.now() - timedelta(days=3))
    services.add_transaction(contact=cleo, type="order", occurred_at=timezone.now() - timedelta(days=40))
    ContactFactory(organization=OrganizationFactory(), email="anna@other.example", language="de")  # not Alice's
    return {"anna": anna, "ben": ben, "cleo": cleo, "news": news, "org": alice_org}


def emails(people, definition) -> set[str]:
    validate_definition(people["org"], definition)
    return {c.email.split("@")[0] for c in matching_contacts(people["org"], definition)}


def test_standard_field_conditions(people):
    assert emails(people, {"conditions": [{"field": "language", "op": "eq", "value": "de"}]}) == {"anna", "cleo"}
    assert emails(people, {"conditions": [{"field": "email", "op": "contains", "value": ".org"}]}) == {"ben"}
    assert emails(people, {"conditions": [{"field": "language", "op": "ne", "value": "de"}]}) == {"ben"}
    assert emails(people, {"conditions": [{"field": "language", "op": "in", "value": ["en", "fr"]}]}) == {"ben"}


def test_attribute_conditions_compare_typed_values(people):
    assert emails(people, {"conditions": [{"attribute": "score", "op": "gte", "value": "10"}]}) == {"anna"}
    assert emails(people, {"conditions": [{"attribute": "score", "op": "lt", "value": 10}]}) == {"ben"}
    assert emails(people, {"conditions": [{"attribute": "score", "op": "empty"}]}) == {"cleo"}


def test_tag_conditions_ignore_case_and_can_be_negated(people):
    assert emails(people, {"conditions": [{"tag": "CUSTOMER"}]}) == {"anna", "ben"}
    assert emails(people, {"conditions": [{"tag": "customer", "negate": True}]}) == {"cleo"}


def test_group_conditions_by_state(people):
    group = people["news"].pk
    assert emails(people, {"conditions": [{"group": group}]}) == {"anna"}
    assert emails(people, {"conditions": [{"group": group, "state": "unsubscribed"}]}) == {"cleo"}


def test_transaction_conditions_within_a_time_window(people):
    assert emails(people, {"conditions": [{"transaction": "order"}]}) == {"ben", "cleo"}
    assert emails(people, {"conditions": [{"transaction": "order", "within_days": 30}]}) == {"ben"}
    with time_machine.travel(timezone.now() + timedelta(days=28)):
        assert emails(people, {"conditions": [{"transaction": "order", "within_days": 30}]}) == set()


def test_all_any_and_one_nested_level(people):
    definition = {
        "match": "all",
        "conditions": [
            {"field": "language", "op": "eq", "value": "de"},
            {"match": "any", "conditions": [{"tag": "customer"}, {"transaction": "order"}]},
        ],
    }
    assert emails(people, definition) == {"anna", "cleo"}
    definition["match"] = "any"
    assert emails(people, definition) == {"anna", "ben", "cleo"}
    assert emails(
        people, {"match": "any", "conditions": [{"tag": "customer"}, {"attribute": "score", "op": "empty"}]}
    ) == {
        "anna",
        "ben",
        "cleo",
    }


def test_empty_selection_matches_the_whole_organization_only(people):
    assert emails(people, {"conditions": []}) == {"anna", "ben", "cleo"}


def test_a_selection_is_one_query(people, django_assert_num_queries):
    definition = {
        "conditions": [
            {"field": "language", "op": "eq", "value": "de"},
            {"tag": "customer"},
            {"group": people["news"].pk},
            {"transaction": "order", "within_days": 30, "negate": True},
        ]
    }
    validate_definition(people["org"], definition)
    queryset = matching_contacts(people["org"], definition)
    with django_assert_num_queries(1):
        assert queryset.count() == 1


def test_selection_matches_one_contact_now(people):
    selection = Selection.objects.create(
        organization=people["org"], name="customers", definition={"conditions": [{"tag": "customer"}]}
    )
    assert selection_matches(selection, people["anna"])
    services.remove_tag(contact=people["anna"], name="customer")
    assert not selection_matches(selection, people["anna"])


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ("nope", "must be an object"),
        ({"match": "some", "conditions": []}, "“match” must be"),
        ({"conditions": [{"field": "password", "op": "eq", "value": "x"}]}, "Condition 1: unknown field"),
        ({"conditions": [{"field": "email", "op": "like", "value": "x"}]}, "unknown operator"),
        ({"conditions": [{"attribute": "score", "op": "gt", "value": "high"}]}, "Enter a number"),
        ({"conditions": [{"attribute": "nope", "op": "eq", "value": 1}]}, "unknown attribute"),
        ({"conditions": [{"tag": "nope"}]}, "unknown tag"),
        ({"conditions": [{"group": 999999}]}, "unknown group"),
        ({"conditions": [{"transaction": "order", "within_days": 0}]}, "within_days"),
        ({"conditions": [{"tag": "customer", "group": 1}]}, "exactly one of"),
        (
            {"conditions": [{"conditions": [{"conditions": [{"tag": "customer"}]}]}]},
            "Condition 1.1: blocks can be nested one level deep only",
        ),
    ],
)
def test_invalid_definitions_name_the_broken_condition(people, definition, message):
    with pytest.raises(ValidationError) as error:
        validate_definition(people["org"], definition)
    assert message in " ".join(error.value.messages)


def test_another_organizations_group_is_unknown(people, charlie_org):
    theirs = Group.objects.create(organization=charlie_org, name="Theirs")
    with pytest.raises(ValidationError, match="unknown group"):
        validate_definition(people["org"], {"conditions": [{"group": theirs.pk}]})


def test_admin_shows_the_count_and_refuses_broken_definitions(client, alice, people):
    client.force_login(alice)
    response = client.post(
        "/admin/contacts/selection/add/",
        {"name": "broken", "description": "", "definition": '{"conditions": [{"tag": "nope"}]}'},
    )
    assert response.status_code == 200
    assert "unknown tag" in str(response.context["adminform"].form.errors["definition"])
    response = client.post(
        "/admin/contacts/selection/add/",
        {"name": "German", "description": "", "definition": '{"conditions": [{"field": "language", "value": "de"}]}'},
    )
    assert response.status_code == 302
    selection = Selection.objects.get(name="German")
    page = client.get(f"/admin/contacts/selection/{selection.pk}/change/")
    assert "contacts matching now" in page.text.lower()
    assert re.search(r'<div class="readonly[^"]*">2</div>', page.text)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"field": "created_at", "op": "gte", "value": "yesterday"}, "YYYY-MM-DD"),
        ({"field": "first_name", "op": "eq", "value": 5}, "must be text"),
        ({"transaction": "x", "within_days": 99999999999}, "from 1 to 36500"),
        ({"attribute": "score", "op": "gt", "value": 99999999999999999999999999}, "between"),
    ],
)
def test_values_that_could_not_be_queried_are_refused_when_saved(people, condition, message):
    with pytest.raises(ValidationError) as error:
        validate_definition(people["org"], {"conditions": [condition]})
    assert message in " ".join(error.value.messages)


def test_created_at_conditions_take_dates(people):
    assert emails(people, {"conditions": [{"field": "created_at", "op": "gte", "value": "2000-01-01"}]}) == {
        "anna",
        "ben",
        "cleo",
    }


def test_the_builder_names_fields_operators_and_states_in_the_marketers_language(alice_org):
    from django.utils import translation

    from contacts.widgets import SelectionBuilderWidget

    with translation.override("de"):
        options = SelectionBuilderWidget(alice_org).get_context("definition", {}, {"id": "id_definition"})
    options = options["builder_options"]
    assert ("first_name", "Vorname") in options["fields"]
    assert ("gte", "ist mindestens") in options["operators"]
    assert ("not_empty", "ist nicht leer") in options["operators"]
    assert ("receiving", "erhält E-Mails") in options["states"]
    assert options["labels"]["inputs"]["operator"] == "Vergleich"
