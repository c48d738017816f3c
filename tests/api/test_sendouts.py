"""/api/v1/sendouts: prepare, start, schedule, pause, resume, cancel, report; Charlie gets 404."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail

from notifications.models import Sendout
from tests.sendouts.conftest import make_group, make_message, make_sendout

pytestmark = pytest.mark.django_db(transaction=True)


def test_alice_prepares_and_starts_a_sendout(alice_api, alice_org):
    group, message = make_group(alice_org, 3), make_message(alice_org)

    created = alice_api.post(
        "/api/v1/sendouts", {"name": "News", "message": message.pk, "groups": [group.pk]}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "draft"

    started = alice_api.post(f"/api/v1/sendouts/{created.json()['id']}/start")
    assert started.status_code == 200
    assert len(mail.outbox) == 3
    report = alice_api.get(f"/api/v1/sendouts/{created.json()['id']}/report").json()
    assert report["counts"]["sent"] == 3 and report["progress"]["status"] == "sent"


def test_an_unknown_field_is_an_error(alice_api, alice_org):
    group, message = make_group(alice_org, 1), make_message(alice_org)
    body = {"name": "News", "message": message.pk, "groups": [group.pk], "colour": "red"}
    response = alice_api.post("/api/v1/sendouts", body, format="json")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"colour"}


def test_field_errors_name_each_field(alice_api, alice_org, charlie_org):
    theirs = make_group(charlie_org, 1, name="Theirs", start=50)
    response = alice_api.post("/api/v1/sendouts", {"name": "", "message": 999999, "groups": [theirs.pk]}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "message", "groups"}


def test_schedule_pause_resume_cancel_follow_the_states(alice_api, alice_org):
    sendout = make_sendout(alice_org, [make_group(alice_org, 2)])
    base = f"/api/v1/sendouts/{sendout.pk}"

    scheduled = alice_api.post(
        f"{base}/schedule", {"date": "2099-01-05", "time": "08:30", "time_zone": "Asia/Tokyo"}, format="json"
    )
    assert scheduled.status_code == 200
    assert datetime.fromisoformat(scheduled.json()["scheduled_at"]) == datetime(2099, 1, 4, 23, 30, tzinfo=UTC)
    assert alice_api.post(f"{base}/pause").status_code == 400  # not sending
    assert alice_api.post(f"{base}/cancel").json()["status"] == "cancelled"
    assert alice_api.post(f"{base}/resume").status_code == 400
    assert mail.outbox == []


def test_a_schedule_needs_a_known_time_zone(alice_api, alice_org):
    sendout = make_sendout(alice_org, [make_group(alice_org, 1)])
    response = alice_api.post(
        f"/api/v1/sendouts/{sendout.pk}/schedule",
        {"date": "2099-01-05", "time": "08:30", "time_zone": "Mars/Base"},
        format="json",
    )
    assert response.status_code == 400 and "time_zone" in response.json()["errors"]


@pytest.mark.parametrize("verb, path", [("get", ""), ("get", "/report"), ("post", "/start"), ("post", "/cancel")])
def test_charlie_gets_404_for_alices_sendout(charlie_api, alice_org, verb, path):
    sendout = make_sendout(alice_org, [make_group(alice_org, 1)])
    response = getattr(charlie_api, verb)(f"/api/v1/sendouts/{sendout.pk}{path}")
    assert response.status_code == 404
    sendout.refresh_from_db()
    assert sendout.status == Sendout.Status.DRAFT and mail.outbox == []


def test_charlie_lists_none_of_alices_sendouts(charlie_api, alice_org):
    make_sendout(alice_org, [make_group(alice_org, 1)])
    assert charlie_api.get("/api/v1/sendouts").json()["results"] == []


def test_a_read_key_cannot_start_a_sendout(bob_api, alice_org):
    sendout = make_sendout(alice_org, [make_group(alice_org, 1)])
    assert bob_api.post(f"/api/v1/sendouts/{sendout.pk}/start").status_code == 403
