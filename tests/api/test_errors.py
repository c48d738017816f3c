"""Bad input gets one clear error format, never a 500; too many requests get 429."""

from __future__ import annotations

import time

import pytest
import time_machine

from contacts.models import Contact


def test_malformed_json_is_400_in_the_problem_format(alice_api):
    response = alice_api.post("/api/v1/contacts", b'{"email": ', content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "parse_error" and body["status"] == 400 and body["title"] and body["detail"]


@pytest.mark.parametrize("raw", [b"[]", b'"text"', b"42", b"null", b'{"email": NaN}'])
def test_json_that_is_not_an_object_is_400(alice_api, raw):
    response = alice_api.post("/api/v1/contacts", raw, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": 42}, "email"),
        ({"email": "a@example.com", "language": "xx"}, "language"),
        ({"email": "a@example.com", "attributes": "big"}, "attributes"),
        ({"email": "a@example.com", "first_name": "x" * 101}, "first_name"),
        ({"email": ["a@example.com"]}, "email"),
    ],
)
def test_wrong_types_are_400_naming_the_field(alice_api, body, field):
    response = alice_api.post("/api/v1/contacts", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Contact.objects.exists()


def test_a_body_over_the_limit_is_413(alice_api, settings):
    settings.ENGAGE_API_MAX_BODY_BYTES = 2000
    response = alice_api.post("/api/v1/contacts", {"email": "a@example.com", "phone": "1" * 2000}, format="json")
    assert response.status_code == 413
    assert response.json()["type"] == "payload_too_large"


def test_a_form_body_is_415(alice_api):
    response = alice_api.post(
        "/api/v1/contacts", "email=a@example.com", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response.json()["status"] == 415


@pytest.mark.parametrize("path", ["/api/v1/contacts/abc", "/api/v1/contacts/99999999999999999999", "/api/v1/runs/0"])
def test_ids_that_are_not_ours_are_404(alice_api, path):
    assert alice_api.get(path).status_code == 404


def test_a_bad_filter_value_is_400(alice_api):
    response = alice_api.get("/api/v1/contacts?updated_since=someday")
    assert response.status_code == 400
    assert "updated_since" in response.json()["errors"]


def test_over_the_rate_limit_is_429_with_retry_after(alice_api, charlie_api, settings):
    settings.ENGAGE_API_REQUESTS_PER_MINUTE = 3
    codes = [alice_api.get("/api/v1/tags").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = alice_api.get("/api/v1/tags")
    assert response.status_code == 429
    assert response.json()["type"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert charlie_api.get("/api/v1/tags").status_code == 200  # each key has its own count


def test_the_rate_limit_is_counted_in_the_shared_database(alice_api, alice_key, settings, counted_in_database):
    """Without Redis every web process reads and writes the same count: a database row."""
    from api.models import RateCount

    settings.ENGAGE_API_REQUESTS_PER_MINUTE = 100
    with time_machine.travel("2026-11-27 10:00:30Z", tick=False):
        alice_api.get("/api/v1/tags")
        alice_api.get("/api/v1/tags")
        window = int(time.time() // 60)
        row = RateCount.objects.get(key=f"api-rate:key:{alice_key[0].pk}", window=window)
        assert row.count == 2
        row.count = 100  # as if other processes had used the rest of the minute
        row.save()
        response = alice_api.get("/api/v1/tags")
        assert response.status_code == 429
        assert response["Retry-After"] == "30"


def test_a_body_over_djangos_memory_limit_is_413_too(alice_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = alice_api.post("/api/v1/contacts", {"email": "a@example.com", "phone": "1" * 1000}, format="json")
    assert response.status_code == 413
    assert response.json()["type"] == "payload_too_large"


@pytest.mark.redis
def test_the_rate_limit_counts_in_redis_when_scaled_out(alice_api, settings):
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    assert isinstance(caches["default"], RedisCache)
    settings.ENGAGE_API_REQUESTS_PER_MINUTE = 2
    with time_machine.travel("2026-11-27 10:00:50Z", tick=False):
        assert [alice_api.get("/api/v1/tags").status_code for _ in range(3)] == [200, 200, 429]
        assert alice_api.get("/api/v1/tags")["Retry-After"] == "10"


@pytest.mark.parametrize(
    ("value", "status"),
    [("0557-10-26T03:52:35%2B18:35", 200), ("0001-01-01T00:00:00%2B01:00", 400)],  # the second is before year 1 in UTC
)
def test_times_with_odd_offsets_are_read_as_utc_or_refused_never_500(alice_api, value, status):
    assert alice_api.get(f"/api/v1/runs?created_after={value}").status_code == status
    assert alice_api.get(f"/api/v1/contacts?updated_since={value}").status_code == status
