"""Under /api/ even what no view expected is answered as JSON: a bug is a 500, an
unreachable database or Redis a 503 with Retry-After; never an HTML error page."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import RequestFactory
from redis.exceptions import ConnectionError as RedisConnectionError

from api.authentication import BearerAuthentication
from api.middleware import ApiErrorMiddleware, server_error
from api.views.contacts import ContactViewSet


@pytest.fixture
def api(alice_api):
    alice_api.raise_request_exception = False  # as a real server does: answer, do not re-raise
    return alice_api


def test_a_view_that_raises_is_a_500_problem_document(api, monkeypatch):
    def broken(self, request, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(ContactViewSet, "list", broken)
    response = api.get("/api/v1/contacts")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "type": "server_error",
        "title": "Server error.",
        "status": 500,
        "detail": "An unexpected error occurred.",
    }


@pytest.mark.parametrize("error", [OperationalError("too many clients already"), RedisConnectionError("refused")])
def test_an_unreachable_service_while_authenticating_is_a_503_with_retry_after(api, monkeypatch, error):
    def unreachable(self, request):
        raise error

    monkeypatch.setattr(BearerAuthentication, "authenticate", unreachable)
    response = api.post("/api/v1/events", {"type": "contact_created"}, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["type"] == "service_unavailable"


def test_a_failure_outside_any_view_is_json_under_api_and_a_page_elsewhere():
    factory = RequestFactory()
    api_response = server_error(factory.get("/api/v1/contacts"))
    assert api_response.status_code == 500
    assert api_response["Content-Type"] == "application/json"
    page = server_error(factory.get("/admin/"))
    assert page.status_code == 500
    assert page["Content-Type"].startswith("text/html")


def test_the_middleware_leaves_errors_outside_the_api_to_django():
    middleware = ApiErrorMiddleware(lambda request: None)
    assert middleware.process_exception(RequestFactory().get("/portal/demo/login/"), RuntimeError("a bug")) is None
