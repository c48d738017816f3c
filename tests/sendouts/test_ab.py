"""The A/B subject test: a sample gets A or B, the rest waits, then gets the winner."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications.models import Sendout, SendoutRecipient, TrackingEvent
from notifications.sendout_ab import split
from notifications.sendouts import dispatch_due_sendouts, resolve, start_sendout
from tests.sendouts.conftest import make_group, make_message, make_sendout

pytestmark = pytest.mark.django_db(transaction=True)

SUBJECT_B = "Last chance, {{ contact.first_name }}"
_events = itertools.count()


def ab_sendout(organization, count: int = 20, **settings) -> Sendout:
    settings = {"ab_test": True, "ab_subject": SUBJECT_B, "ab_share": 10, "ab_wait_minutes": 60, **settings}
    return make_sendout(organization, [make_group(organization, count)], **settings)


def subjects_by_address() -> dict[str, str]:
    return {m.to[0]: m.subject for m in mail.outbox}


def track(sendout: Sendout, variant: str, kind: str, times: int) -> None:
    """`times` recipients of the variant opened (or clicked) the mail, each twice."""
    rows = SendoutRecipient.objects.filter(sendout=sendout, variant=variant).select_related("message")[:times]
    for row in rows:
        for _ in range(2):  # counted once per recipient
            TrackingEvent.objects.create(
                organization=sendout.organization, message=row.message, esp="engage",
                event_id=f"ab-{next(_events)}", event_type=kind, occurred_at=timezone.now(),
            )  # fmt: skip


def start_at(sendout: Sendout, moment: str) -> Sendout:
    with time_machine.travel(moment, tick=False):
        start_sendout(sendout=sendout)
    sendout.refresh_from_db()
    return sendout


def test_only_the_sample_is_sent_each_variant_its_subject(alice_org):
    sendout = start_at(ab_sendout(alice_org, 20), "2026-03-02T10:00:00Z")

    rows = SendoutRecipient.objects.filter(sendout=sendout)
    assert rows.filter(variant="a").count() == 2 and rows.filter(variant="b").count() == 2
    assert len(mail.outbox) == 4
    sent = subjects_by_address()
    for row in rows.exclude(variant="").select_related("contact"):
        first = row.contact.first_name
        expected = f"News for {first}" if row.variant == "a" else f"Last chance, {first}"
        assert sent[row.contact.email] == expected
    assert sendout.status == Sendout.Status.SENDING and sendout.ab_winner == ""
    assert rows.filter(variant="", status=SendoutRecipient.Status.PENDING).count() == 16


def test_the_split_is_the_same_when_made_again(alice_org):
    first = ab_sendout(alice_org, 40)
    resolve(first)
    split(first)

    def marks(sendout):
        rows = SendoutRecipient.objects.filter(sendout=sendout).exclude(variant="")
        return dict(rows.values_list("contact_id", "variant"))

    before = marks(first)
    assert sorted(before.values()) == ["a"] * 4 + ["b"] * 4
    Sendout.objects.filter(pk=first.pk).update(ab_decide_at=None)  # as if the split's commit was lost…
    first.refresh_from_db()
    SendoutRecipient.objects.filter(sendout=first).update(variant="")
    split(first)  # …and made again after a restart
    assert marks(first) == before
    split(first)  # a second call marks nobody else
    assert marks(first) == before
    # Not simply the first or last rows: the scramble spreads the sample.
    ids = sorted(SendoutRecipient.objects.filter(sendout=first).values_list("contact_id", flat=True))
    assert set(before) not in (set(ids[:8]), set(ids[-8:]))


def test_nothing_else_leaves_before_the_wait_is_over(alice_org):
    sendout = start_at(ab_sendout(alice_org, 20, ab_wait_minutes=60), "2026-03-02T10:00:00Z")

    with time_machine.travel("2026-03-02T10:59:59Z", tick=False):
        dispatch_due_sendouts()
    sendout.refresh_from_db()
    assert len(mail.outbox) == 4 and sendout.ab_winner == ""

    with time_machine.travel("2026-03-02T11:00:01Z", tick=False):
        dispatch_due_sendouts()
    sendout.refresh_from_db()
    assert sendout.status == Sendout.Status.SENT and sendout.ab_winner == "a"
    assert len(mail.outbox) == 20


@pytest.mark.parametrize("rule, kind", [("opens", "opened"), ("clicks", "clicked")])
def test_the_winner_by_the_rule_sends_the_rest_its_subject(alice_org, rule, kind):
    sendout = start_at(ab_sendout(alice_org, 40, ab_rule=rule), "2026-03-02T10:00:00Z")
    other = "opened" if kind == "clicked" else "clicked"
    track(sendout, "b", kind, 3)
    track(sendout, "a", kind, 1)
    track(sendout, "a", other, 4)  # the other measure does not count

    with time_machine.travel("2026-03-02T11:01:00Z", tick=False):
        dispatch_due_sendouts()
    sendout.refresh_from_db()
    assert sendout.ab_winner == "b" and sendout.status == Sendout.Status.SENT

    assert len(mail.outbox) == 40
    assert len(subjects_by_address()) == 40  # each recipient exactly once
    rest = SendoutRecipient.objects.filter(sendout=sendout, variant="").select_related("contact")
    assert rest.count() == 32
    sent = subjects_by_address()
    assert all(sent[row.contact.email] == f"Last chance, {row.contact.first_name}" for row in rest)


def test_a_tie_goes_to_a(alice_org):
    sendout = start_at(ab_sendout(alice_org, 20), "2026-03-02T10:00:00Z")
    track(sendout, "a", "opened", 1)
    track(sendout, "b", "opened", 1)

    with time_machine.travel("2026-03-02T12:00:00Z", tick=False):
        dispatch_due_sendouts()
    sendout.refresh_from_db()
    assert sendout.ab_winner == "a"
    rest = SendoutRecipient.objects.filter(sendout=sendout, variant="").select_related("contact")
    sent = subjects_by_address()
    assert all(sent[row.contact.email] == f"News for {row.contact.first_name}" for row in rest)


def test_the_report_shows_both_variants_and_the_winner(client, bob, alice_org):
    sendout = start_at(ab_sendout(alice_org, 20), "2026-03-02T10:00:00Z")
    track(sendout, "b", "opened", 2)
    track(sendout, "b", "clicked", 1)
    with time_machine.travel("2026-03-02T12:00:00Z", tick=False):
        dispatch_due_sendouts()

    client.force_login(bob)
    report = client.get(reverse("admin:notifications_sendout_report_json", args=[sendout.pk])).json()["ab_test"]
    a, b = report["variants"]
    assert (a["recipients"], a["opened"], a["clicked"], a["won"]) == (2, 0, 0, False)
    assert (b["recipients"], b["opened"], b["clicked"], b["won"]) == (2, 2, 1, True)
    assert report["winner"] == "b" and report["rest"] == 16 and b["subject"] == SUBJECT_B
    page = client.get(reverse("admin:notifications_sendout_report", args=[sendout.pk])).content.decode()
    assert 'id="report-ab"' in page and "Last chance" in page
    german = client.get(reverse("admin:notifications_sendout_report", args=[sendout.pk]), HTTP_ACCEPT_LANGUAGE="de")
    assert "Der Rest hat den gewinnenden Betreff bekommen." in german.content.decode()
    assert "10 % der Empfänger je Variante" in german.content.decode()
    form = client.get(reverse("admin:notifications_sendout_change", args=[sendout.pk]), HTTP_ACCEPT_LANGUAGE="de")
    assert "A/B-Test des Betreffs" in form.content.decode() and "Gewinnender Betreff" in form.content.decode()


# --- validation ----------------------------------------------------------------------------


def admin_post(client, user, message, group, **fields):
    client.force_login(user)
    body = {"name": "December", "message": message.pk, "groups": [group.pk], "from_email": "", "from_name": ""}
    body |= {"ab_share": 10, "ab_wait_minutes": 60, "ab_rule": "opens", **fields}
    return client.post(reverse("admin:notifications_sendout_add"), body)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"ab_test": "on", "ab_subject": ""}, "ab_subject"),
        ({"ab_test": "on", "ab_subject": "B", "ab_share": 51}, "ab_share"),
        ({"ab_test": "on", "ab_subject": "B", "ab_share": 0}, "ab_share"),
        ({"ab_test": "on", "ab_subject": "B", "ab_wait_minutes": 0}, "ab_wait_minutes"),
    ],
)
def test_the_admin_form_names_the_wrong_field(client, bob, alice_org, fields, field):
    response = admin_post(client, bob, make_message(alice_org), make_group(alice_org, 1), **fields)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Sendout.objects.exists()


def test_the_admin_form_saves_a_test(client, bob, alice_org):
    response = admin_post(client, bob, make_message(alice_org), make_group(alice_org, 1), ab_test="on", ab_subject="B")
    assert response.status_code == 302
    sendout = Sendout.objects.get()
    assert sendout.ab_test and sendout.ab_subject == "B" and sendout.ab_wait_minutes == 60


def api_body(message, group, **fields):
    return {"name": "News", "message": message.pk, "groups": [group.pk], **fields}


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"ab_test": True}, "ab_subject"),
        ({"ab_test": True, "ab_subject": "  "}, "ab_subject"),
        ({"ab_test": True, "ab_subject": "B", "ab_share": 60}, "ab_share"),
        ({"ab_test": True, "ab_subject": "B", "ab_share": 0}, "ab_share"),
        ({"ab_test": True, "ab_subject": "B", "ab_wait_minutes": 0}, "ab_wait_minutes"),
        ({"ab_test": True, "ab_subject": "B", "ab_rule": "replies"}, "ab_rule"),
    ],
)
def test_the_api_names_the_wrong_field(alice_api, alice_org, fields, field):
    response = alice_api.post(
        "/api/v1/sendouts", api_body(make_message(alice_org), make_group(alice_org, 1), **fields), format="json"
    )
    assert response.status_code == 400 and field in response.json()["errors"], response.json()
    assert not Sendout.objects.exists()


def test_the_api_creates_and_reads_a_test_its_result_read_only(alice_api, alice_org):
    fields = {"ab_test": True, "ab_subject": "B", "ab_share": 20, "ab_wait_minutes": 30, "ab_rule": "clicks"}
    body = api_body(make_message(alice_org), make_group(alice_org, 1), **fields)
    created = alice_api.post("/api/v1/sendouts", body, format="json")
    assert created.status_code == 201, created.json()
    data = alice_api.get(f"/api/v1/sendouts/{created.json()['id']}").json()
    assert {key: data[key] for key in fields} == fields
    assert data["ab_winner"] == "" and data["ab_decide_at"] is None

    sendout = Sendout.objects.get()
    assert (sendout.ab_share, sendout.ab_rule) == (20, "clicks")


def test_charlie_neither_reads_alices_test_nor_its_report(charlie_api, alice_org):
    sendout = start_at(ab_sendout(alice_org, 4), "2026-03-02T10:00:00Z")
    assert charlie_api.get(f"/api/v1/sendouts/{sendout.pk}").status_code == 404
    assert charlie_api.get(f"/api/v1/sendouts/{sendout.pk}/report").status_code == 404
    listed = charlie_api.get("/api/v1/sendouts").json()["results"]
    assert listed == []


def test_bob_with_a_read_key_reads_but_cannot_create_a_test(bob_api, alice_org):
    sendout = ab_sendout(alice_org, 2)
    assert bob_api.get(f"/api/v1/sendouts/{sendout.pk}").json()["ab_subject"] == SUBJECT_B
    body = api_body(
        make_message(alice_org), make_group(alice_org, 1, name="Others", start=10), ab_test=True, ab_subject="B"
    )
    assert bob_api.post("/api/v1/sendouts", body, format="json").status_code == 403
    assert Sendout.objects.count() == 1


def test_a_sendout_without_a_test_has_no_variants(alice_org):
    sendout = make_sendout(alice_org, [make_group(alice_org, 5)])
    start_sendout(sendout=sendout)
    assert not SendoutRecipient.objects.exclude(variant="").exists()
    assert len(mail.outbox) == 5
    assert timezone.now() - timedelta(minutes=1) < Sendout.objects.get().finished_at
