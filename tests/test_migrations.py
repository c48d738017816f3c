"""Moving a model between apps keeps its data: migrating a database of the layout before
the move (suppression list in notifications) to today's keeps every row."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_THE_MOVE = [("contacts", "0010_field_validators"), ("notifications", "0008_field_validators")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(targets or executor.loader.graph.leaf_nodes()).apps


@pytest.mark.django_db(transaction=True)
def test_migrating_from_before_the_suppression_list_moved_keeps_every_row():
    old = migrate(BEFORE_THE_MOVE)
    organization = old.get_model("contacts", "Organization").objects.create(name="Alice", slug="alice")
    OldSuppression = old.get_model("notifications", "Suppression")
    OldSuppression.objects.create(organization=organization, address="bounced@example.com", reason="hard_bounce")
    OldSuppression.objects.create(organization=organization, address="gone@example.com", reason="unsubscribe")

    new = migrate(None)

    rows = new.get_model("contacts", "Suppression").objects.order_by("address").values_list("address", "reason")
    assert list(rows) == [("bounced@example.com", "hard_bounce"), ("gone@example.com", "unsubscribe")]
    with pytest.raises(LookupError):
        new.get_model("notifications", "Suppression")
