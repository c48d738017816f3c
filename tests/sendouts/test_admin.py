"""A marketer prepares, tests, sends and reports a newsletter in the admin; charlie sees none of it."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core import mail
from django.urls import reverse

from contacts.models import Suppression
from notifications.models import Sendout
from tests.sendouts.conftest import make_group, make_message

pytestmark = pytest.mark.django_db(transaction=True)


def url(name: str, sendout: Sendout) -> str:
    return reverse(f"admin:notifications_sendout_{name}", args=[sendout.pk])


def test_bob_prepares_a_sendout_and_sees_its_recipient_count(client, bob, alice_org):
    group = make_group(alice_org, 5)
    Suppression.objects.create(organization=alice_org, address="reader0@example.com", reason="unsubscribe")
    message = make_message(alice_org)
    client.force_login(bob)

    response = client.post(
        reverse("admin:notifications_sendout_add"),
        {"name": "December", "message": message.pk, "groups": [group.pk], "from_email": "", "from_name": ""},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    sendout = Sendout.objects.get()
    assert sendout.organization == alice_org and sendout.created_by == bob
    page = client.get(url("change", sendout)).content.decode()
    assert "Send now" in page and "Send a test to me" in page
    assert re.search(r'<div class="readonly[^"]*">4</div>', page)


@pytest.fixture
def draft(alice_org):
    from tests.sendouts.conftest import make_sendout

    return make_sendout(alice_org, [make_group(alice_org, 3)])


def test_preview_shows_the_mail_as_a_recipient_gets_it(client, bob, draft):
    client.force_login(bob)
    response = client.get(url("preview", draft) + "?contact=" + str(draft.groups.get().memberships.last().contact_id))
    assert "News for R2" in response.content.decode()


def test_a_test_goes_to_me_only(client, bob, draft):
    client.force_login(bob)
    client.post(url("test", draft))

    assert [m.to for m in mail.outbox] == [[bob.email]]
    assert mail.outbox[0].subject.startswith("[Test] News for")
    draft.refresh_from_db()
    assert draft.status == Sendout.Status.DRAFT


def test_send_now_sends_and_the_report_counts_it(client, bob, draft):
    client.force_login(bob)
    response = client.post(url("control", draft), {"action": "start"})

    assert response.url == url("report", draft)
    assert len(mail.outbox) == 3
    report = client.get(url("report_json", draft)).json()
    assert report["progress"]["status"] == "sent"
    assert report["counts"]["sent"] == 3 and report["counts"]["recipients"] == 3
    page = client.get(url("report", draft)).content.decode()
    assert 'id="report-progress"' in page


def test_the_csv_export_has_a_line_per_recipient(client, bob, draft):
    client.force_login(bob)
    client.post(url("control", draft), {"action": "start"})

    rows = list(csv.reader(io.StringIO(b"".join(client.get(url("report_csv", draft)).streaming_content).decode())))
    assert rows[0][0] == "email"
    assert sorted(row[0] for row in rows[1:]) == ["reader0@example.com", "reader1@example.com", "reader2@example.com"]
    assert {row[4] for row in rows[1:]} == {"sent"}


def test_schedule_takes_the_wall_clock_of_the_chosen_time_zone(client, bob, draft):
    client.force_login(bob)
    client.post(url("schedule", draft), {"day": "2099-03-01", "at": "09:00", "time_zone": "America/New_York"})

    draft.refresh_from_db()
    assert draft.status == Sendout.Status.SCHEDULED
    assert draft.scheduled_at.isoformat() == "2099-03-01T14:00:00+00:00"
    assert draft.time_zone == "America/New_York"


@pytest.mark.parametrize("name", ["preview", "report", "report_json", "report_chart", "report_csv", "schedule"])
def test_charlie_gets_404_for_alices_sendout_pages(client, charlie, draft, name):
    client.force_login(charlie)
    assert client.get(url(name, draft)).status_code == 404


@pytest.mark.parametrize("action", ["start", "cancel"])
def test_charlie_cannot_start_or_cancel_alices_sendout(client, charlie, draft, action):
    client.force_login(charlie)
    assert client.post(url("control", draft), {"action": action}).status_code == 404
    assert client.post(url("test", draft)).status_code == 404
    draft.refresh_from_db()
    assert draft.status == Sendout.Status.DRAFT
    assert mail.outbox == []


def test_the_sendout_pages_speak_german(client, bob, draft):
    client.force_login(bob)
    page = client.get(url("change", draft), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Jetzt senden" in page and "Test an mich senden" in page
    report = client.get(url("report", draft), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Noch wartend" in report and "Mails pro Sekunde" in report
