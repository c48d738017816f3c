"""Idempotency-Key: the same POST twice does the work once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from api.credentials import create_api_key
from api.idempotency import LEASE, fingerprint, purge_idempotency_records
from api.models import IdempotencyRecord
from contacts import services
from contacts.models import Contact, Group
from tests.api.conftest import client_for


def post_group(api, name: str, key: str = "k-1"):
    return api.post("/api/v1/groups", {"name": name}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def post_contact(api, email: str, key: str):
    return api.post("/api/v1/contacts", {"email": email}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_key_and_body_replays_the_stored_response(alice_api, alice_org):
    first = post_group(alice_api, "News")
    second = post_group(alice_api, "News")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Group.objects.filter(organization=alice_org).count() == 1


def test_key_order_and_white_space_of_the_body_do_not_matter(alice_api):
    def post(raw: bytes):
        return alice_api.post("/api/v1/groups", raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")

    assert post(b'{"name": "News", "is_public": true}').status_code == 201
    assert post(b'{"is_public":true,"name":"News"}')["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_422(alice_api, alice_org):
    post_group(alice_api, "News")
    response = post_group(alice_api, "Offers")
    assert response.status_code == 422
    assert response.json()["type"] == "idempotency_mismatch"
    assert list(Group.objects.filter(organization=alice_org).values_list("name", flat=True)) == ["News"]


def test_the_same_key_on_another_endpoint_is_422(alice_api):
    post_group(alice_api, "News")
    response = alice_api.post("/api/v1/tags", {"name": "News"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422


def _claim(org, *, lease_expires_at):
    IdempotencyRecord.objects.create(
        organization=org,
        key="k-1",
        fingerprint=fingerprint("POST", "/api/v1/groups", {"name": "News"}),
        lease_expires_at=lease_expires_at,
    )


def test_a_key_still_running_is_409(alice_api, alice_org):
    _claim(alice_org, lease_expires_at=timezone.now() + LEASE)
    response = post_group(alice_api, "News")
    assert response.status_code == 409
    assert response.json()["type"] == "idempotency_in_progress"
    assert not Group.objects.exists()


def test_a_claim_whose_process_died_is_taken_over_after_its_lease(alice_api, alice_org):
    _claim(alice_org, lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert post_group(alice_api, "News").status_code == 201
    assert post_group(alice_api, "News")["Idempotent-Replayed"] == "true"
    assert Group.objects.count() == 1


def test_a_failed_request_frees_its_key(alice_api, alice_org):
    Group.objects.create(organization=alice_org, name="News")
    assert post_group(alice_api, "News", key="k-2").status_code == 400
    assert not IdempotencyRecord.objects.exists()
    Group.objects.all().delete()
    assert post_group(alice_api, "News", key="k-2").status_code == 201


def test_a_crash_rolls_the_work_back_and_frees_the_key(alice_api, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("contacts.services.record_event", crash)
    alice_api.raise_request_exception = False
    assert post_contact(alice_api, "a@example.com", "c").status_code == 500
    assert not Contact.objects.exists()
    assert not IdempotencyRecord.objects.exists()


def test_keys_belong_to_one_organization(alice_api, charlie_api):
    assert post_group(alice_api, "News").status_code == 201
    theirs = post_group(charlie_api, "News")
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert Group.objects.count() == 2


def test_a_too_long_key_is_400(alice_api):
    response = post_group(alice_api, "News", key="k" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert post_group(alice_api, "News", key="k" * 255).status_code == 201


def test_keys_are_kept_24_hours_then_purged(alice_api):
    post_group(alice_api, "News")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=23, minutes=59))
    assert purge_idempotency_records() == 0
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
    assert purge_idempotency_records() == 1


def test_a_read_key_cannot_claim_keys(bob_api):
    assert post_group(bob_api, "News").status_code == 403
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_request_while_the_first_works_is_409_then_replayed(alice_org, monkeypatch):
    plain = create_api_key(organization=alice_org, name="k", scope="write")[1]
    inside, release = threading.Event(), threading.Event()
    original = services.create_contact

    def slow_create_contact(**kwargs):
        inside.set()
        assert release.wait(10)
        return original(**kwargs)

    monkeypatch.setattr(services, "create_contact", slow_create_contact)
    results = {}

    def first():
        try:
            results["first"] = post_contact(client_for(plain), "a@example.com", "same")
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(10)
    second = post_contact(client_for(plain), "a@example.com", "same")
    release.set()
    thread.join(10)
    third = post_contact(client_for(plain), "a@example.com", "same")
    assert results["first"].status_code == 201
    assert second.status_code == 409
    assert third.status_code == 201 and third["Idempotent-Replayed"] == "true"
    assert third.json()["id"] == results["first"].json()["id"]
    assert Contact.objects.filter(organization=alice_org).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_threads_racing_for_one_key_create_one_contact(alice_org):
    plain = create_api_key(organization=alice_org, name="k", scope="write")[1]
    barrier = threading.Barrier(8)
    codes = []

    def post():
        try:
            barrier.wait(10)
            codes.append(post_contact(client_for(plain), "race@example.com", "race").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(codes) == 8
    assert set(codes) <= {201, 409}
    assert codes.count(201) >= 1
    assert Contact.objects.filter(organization=alice_org, email="race@example.com").count() == 1
