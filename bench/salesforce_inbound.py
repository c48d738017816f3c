"""Salesforce Outbound Messages: how long the acknowledgement of a full message takes.

    python bench/salesforce_inbound.py [--database-url sqlite:///…|postgres://…]

Salesforce sends up to 100 notifications in one message and waits for the Ack; every
notification is stored, its record state updated, its contact matched (never created) and
its event recorded before the answer. Measured: a new 100-notification message about 100
existing contacts, one about 100 addresses no contact has (their events fire without a
contact), and the first message delivered again (all duplicates).
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import BASE_DIR, report, setup_django

NOTIFICATION = """<Notification><Id>{id}</Id>
<sObject xsi:type="sf:Contact" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
<sf:Id>{record}</sf:Id><sf:Email>bench{n}@example.com</sf:Email><sf:FirstName>F{n}</sf:FirstName>
<sf:LastName>L{n}</sf:LastName><sf:LastModifiedDate>2024-05-14T09:15:02.000Z</sf:LastModifiedDate>
</sObject></Notification>"""

MESSAGE = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>
<notifications xmlns="http://soap.sforce.com/2005/09/outbound">
<OrganizationId>00D7Q000004JkLmUAK</OrganizationId><ActionId>04k7Q000000GqU9QAK</ActionId>
{notifications}</notifications></soapenv:Body></soapenv:Envelope>"""


def message(batch: int) -> bytes:
    notifications = "".join(
        NOTIFICATION.format(id=f"04l{batch:05d}{n:010d}", record=f"003{batch:05d}{n:010d}", n=f"{batch}-{n}")
        for n in range(100)
    )
    return MESSAGE.format(notifications=notifications).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=f"sqlite:///{BASE_DIR / 'var' / 'bench-salesforce.sqlite3'}")
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.test import RequestFactory

    from contacts.models import Contact, Organization
    from integrations.salesforce.models import SalesforceConnection
    from integrations.salesforce.views import salesforce_outbound

    organization, _ = Organization.objects.get_or_create(slug="bench-salesforce", defaults={"name": "Bench SF"})
    Contact.objects.filter(organization=organization).delete()
    SalesforceConnection.objects.filter(organization=organization).delete()
    connection = SalesforceConnection.objects.create(
        organization=organization, name="Bench", salesforce_organization_id="00D7Q000004JkLm"
    )
    factory = RequestFactory()

    def deliver(body: bytes) -> float:
        request = factory.post("/inbound/salesforce/x/", body, content_type="text/xml")
        start = time.perf_counter()
        response = salesforce_outbound(request, token=connection.token)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, response.content
        return elapsed

    new, unknown, again = [], [], []
    for batch in range(args.rounds):
        Contact.objects.bulk_create(
            Contact(organization=organization, email=f"bench{batch}-{n}@example.com") for n in range(100)
        )
        body = message(batch)
        new.append(deliver(body))
        again.append(deliver(body))
        unknown.append(deliver(message(1000 + batch)))
    assert Contact.objects.filter(organization=organization).count() == 100 * args.rounds  # none created
    vendor = "postgres" if args.database_url.startswith("postgres") else "sqlite"
    report(f"salesforce_ack_100_new_{vendor}", statistics.median(new), "ms", "< 5000 ms", statistics.median(new) < 5000)
    report(f"salesforce_ack_100_unknown_{vendor}", statistics.median(unknown), "ms", "< 5000 ms",
           statistics.median(unknown) < 5000)  # fmt: skip
    report(f"salesforce_ack_100_duplicates_{vendor}", statistics.median(again), "ms", "< 1000 ms",
           statistics.median(again) < 1000)  # fmt: skip


if __name__ == "__main__":
    main()
