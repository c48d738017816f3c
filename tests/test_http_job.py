"""The "send HTTP request" jobs against a real HTTP server on loopback."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from automations.models import Automation, Run
from automations.services import dispatch_due_runs
from engage.events import record_event
from engage.lib import http
from tests.factories import ContactFactory


class Recorder(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Recorder.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.send_response(Recorder.status)
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    do_GET = do_POST

    def log_message(self, *args):
        pass


@pytest.fixture
def server(settings):
    settings.ENGAGE_HTTP_ALLOW_PRIVATE = True  # the test server lives on loopback
    Recorder.received, Recorder.status = [], 200
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def run_http_job(org, contact, **params) -> Run:
    automation = Automation(
        organization=org, name="hook", event_type="manual", job_type="send_http_request_contact", job_params=params
    )
    automation.full_clean()
    automation.save()
    record_event(
        organization=org, type="manual", contact=contact, payload={"order": {"id": 7, "note": 'a "quoted" <b>'}}
    )
    dispatch_due_runs()
    return Run.objects.get(automation=automation)


def test_json_post_with_dynamic_values_and_a_signature(alice_org, server):
    contact = ContactFactory(organization=alice_org, email="erika@example.com")
    run = run_http_job(
        alice_org,
        contact,
        method="POST",
        url=server + "/hook?c={{ contact.email|urlencode }}",
        body_format="json",
        body='{"email": "{{ contact.email }}", "note": "{{ event.payload.order.note }}"}',
        signing_secret="s3cret",
        timeout=5,
    )
    assert run.status == "succeeded", run.error
    [request] = Recorder.received
    assert request["path"] == "/hook?c=erika%40example.com"
    assert json.loads(request["body"]) == {"email": "erika@example.com", "note": 'a "quoted" <b>'}
    timestamp = request["headers"]["X-Engage-Timestamp"]
    expected = hmac.new(b"s3cret", f"{timestamp}.".encode() + request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Engage-Signature"] == f"sha256={expected}"
    assert "s3cret" not in json.dumps(Automation.objects.get().job_params)  # stored encrypted


def test_xml_body_escapes_values(alice_org, server):
    run = run_http_job(
        alice_org, ContactFactory(organization=alice_org), method="POST", url=server, body_format="xml",
        body="<order><note>{{ event.payload.order.note }}</note></order>", timeout=5,
    )  # fmt: skip
    assert run.status == "succeeded"
    assert Recorder.received[0]["body"] == b"<order><note>a &quot;quoted&quot; &lt;b&gt;</note></order>"


@pytest.mark.parametrize(("status", "outcome"), [(503, "scheduled"), (429, "scheduled"), (404, "failed")])
def test_server_errors_are_retried_and_client_errors_fail(alice_org, server, status, outcome):
    Recorder.status = status
    run = run_http_job(
        alice_org, ContactFactory(organization=alice_org), method="POST", url=server, body_format="none", timeout=5
    )
    assert run.status == outcome
    assert f"HTTP {status}" in run.error


def test_private_addresses_are_refused(alice_org, settings):
    settings.ENGAGE_HTTP_ALLOW_PRIVATE = False
    for host in ("127.0.0.1", "10.0.0.1", "::1", "169.254.169.254", "localhost", "0.0.0.0"):  # noqa: S104
        with pytest.raises(http.ForbiddenAddress):
            http.checked_address(host, 80)
    assert http.checked_address("93.184.215.14", 80) == "93.184.215.14"  # a public address passes
    run = run_http_job(
        alice_org,
        ContactFactory(organization=alice_org),
        method="GET",
        url="http://localhost:9/x",
        body_format="none",
        timeout=2,
    )
    assert run.status == "failed" and "not a public address" in run.error


def test_a_redirect_to_a_private_address_is_refused(alice_org, settings, monkeypatch):
    """Checked when each socket opens: 127.0.0.1 plays a public host that redirects inside."""

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.2:{self.server.server_address[1]}/internal")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    settings.ENGAGE_HTTP_ALLOW_PRIVATE = False
    monkeypatch.setattr(http, "is_public", lambda address: address == "127.0.0.1")
    try:
        with pytest.raises(Exception, match="non-public address"):
            http.request("GET", f"http://127.0.0.1:{httpd.server_address[1]}/start", timeout=5)
    finally:
        httpd.shutdown()


def test_parameters_are_checked(alice_org):
    automation = Automation(
        organization=alice_org, name="hook", event_type="manual", job_type="send_http_request_contact",
        job_params={"method": "POST", "url": "ftp://example.com", "body_format": "json", "body": "[1]", "timeout": 5},
    )  # fmt: skip
    with pytest.raises(Exception) as error:
        automation.full_clean()
    assert "http://" in str(error.value) and "JSON object" in str(error.value)
