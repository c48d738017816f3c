"""How fast a three-condition selection counts 1,000,000 contacts on PostgreSQL.

    python bench/selection.py [--contacts N] [--database-url postgres://…/engage_bench]

The contacts are generated once in SQL (generate_series) and kept for the next run.
"""

from __future__ import annotations

import argparse
import time

from common import DEFAULT_PG, median_ms, report, setup_django

TARGET_MS = 300.0


def seed(organization_id: int, count: int) -> None:
    from django.db import connection

    from contacts.models import Contact, Group, Tag

    have = Contact.objects.filter(organization_id=organization_id).count()
    if have == count:
        return
    print(f"generating {count:,} contacts …", flush=True)
    started = time.perf_counter()
    Contact.objects.filter(organization_id=organization_id).delete()
    tag, _ = Tag.objects.get_or_create(organization_id=organization_id, name="customer")
    group, _ = Group.objects.get_or_create(organization_id=organization_id, name="News")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO contacts_contact (organization_id, email, salutation, first_name, last_name, phone, language,
                                          external_ref, attributes, password, created_at, updated_at)
            SELECT %s, 'person' || i || '@example.com', '', 'First' || i, 'Last' || i, '',
                   CASE WHEN i %% 3 = 0 THEN 'de' ELSE 'en' END, '',
                   jsonb_build_object('score', i %% 100, 'city', CASE WHEN i %% 7 = 0 THEN 'Zürich' ELSE 'Bern' END),
                   '', now(), now()
            FROM generate_series(1, %s) AS i
            """,
            [organization_id, count],
        )
        cursor.execute(
            """INSERT INTO contacts_contact_tags (contact_id, tag_id)
               SELECT id, %s FROM contacts_contact WHERE organization_id = %s AND id %% 4 = 0""",
            [tag.pk, organization_id],
        )
        cursor.execute(
            """INSERT INTO contacts_membership (group_id, contact_id, state, reason, changed_at, created_at)
               SELECT %s, id, CASE WHEN id %% 10 = 0 THEN 'unsubscribed' ELSE 'subscribed' END, '', now(), now()
               FROM contacts_contact WHERE organization_id = %s AND id %% 2 = 0""",
            [group.pk, organization_id],
        )
        cursor.execute("ANALYZE")
    print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    args = parser.parse_args()
    setup_django(args.database_url)

    from contacts.models import AttributeDefinition, Organization
    from contacts.selections import matching_contacts, validate_definition

    organization, _ = Organization.objects.get_or_create(slug="bench-selection", defaults={"name": "Bench"})
    AttributeDefinition.objects.get_or_create(
        organization=organization, key="score", defaults={"label": "Score", "type": "number"}
    )
    seed(organization.pk, args.contacts)

    definition = {
        "match": "all",
        "conditions": [
            {"field": "language", "op": "eq", "value": "de"},
            {"attribute": "score", "op": "gte", "value": 50},
            {"tag": "customer"},
        ],
    }
    validate_definition(organization, definition)
    queryset = matching_contacts(organization, definition)
    matched = queryset.count()
    elapsed = median_ms(queryset.count)
    print(f"three-condition selection matches {matched:,} of {args.contacts:,} contacts")
    report(
        f"selection_count_{args.contacts // 1000}k_contacts",
        elapsed,
        "ms",
        f"<= {TARGET_MS:.0f} ms",
        elapsed <= TARGET_MS,
    )


if __name__ == "__main__":
    main()
