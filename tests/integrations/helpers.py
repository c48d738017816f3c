"""What the tests of the integrations share: an automation with a job, a Salesforce message
delivered to the inbound endpoint (whose runs are then dispatched), and a fake
ActiveCampaign API on loopback."""

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from automations.models import Automation
from automations.services import dispatch_due_runs
from integrations.salesforce.models import SalesforceConnection
from tests.payloads import SALESFORCE_ORG_ID, fixture


def automation_for(org, job_type, event_type="salesforce_message", **params) -> Automation:
    automation = Automation(
        organization=org, name=job_type, event_type=event_type, job_type=job_type, job_params=params
    )
    automation.full_clean()
    automation.save()
    return automation


def deliver_salesforce(client, org, name: str) -> None:
    connection, _ = SalesforceConnection.objects.get_or_create(
        organization=org, name="CRM", defaults={"salesforce_organization_id": SALESFORCE_ORG_ID}
    )
    url = f"/inbound/salesforce/{connection.token}/"
    assert client.post(url, fixture(name), content_type="text/xml").status_code == 200
    dispatch_due_runs()


class FakeActiveCampaign(BaseHTTPRequestHandler):
    """ActiveCampaign's API v3 as far as the job uses it, answering with recorded bodies."""

    received: list = []
    tags: dict = {}
    fail: dict = {}  # path → (status, body)
    delay = 0.0

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def _answer(self):
        path = urlsplit(self.path).path
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        FakeActiveCampaign.received.append(
            {"method": self.command, "path": self.path, "token": self.headers["Api-Token"],
             "json": json.loads(body) if body else None}
        )  # fmt: skip
        time.sleep(FakeActiveCampaign.delay)
        status, answer = FakeActiveCampaign.fail.get(path) or self._route(path, body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer if isinstance(answer, bytes) else json.dumps(answer).encode())

    def _route(self, path, body):
        if path == "/api/3/contact/sync":
            return 201, fixture("activecampaign_contact_sync_response.json")
        if path == "/api/3/tags" and self.command == "GET":
            search = parse_qs(urlsplit(self.path).query)["search"][0]
            return 200, {"tags": [{"id": i, "tag": t} for t, i in FakeActiveCampaign.tags.items() if search in t]}
        if path == "/api/3/tags":
            name = json.loads(body)["tag"]["tag"]
            FakeActiveCampaign.tags[name] = str(100 + len(FakeActiveCampaign.tags))
            return 201, {"tag": {"id": FakeActiveCampaign.tags[name], "tag": name}}
        if path == "/api/3/contactTags":
            return 201, fixture("activecampaign_contact_tag_response.json")
        if path == "/api/3/contactAutomations":
            return 201, {"contactAutomation": {**json.loads(body)["contactAutomation"], "id": "77"}}
        return 404, fixture("activecampaign_error_404.json")

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def fake_activecampaign(settings):
    """Serve FakeActiveCampaign on a free loopback port; yields its base URL."""
    settings.ENGAGE_HTTP_ALLOW_PRIVATE = True  # the fake ActiveCampaign lives on loopback
    FakeActiveCampaign.received, FakeActiveCampaign.tags, FakeActiveCampaign.fail = [], {"oxas-sync": "16"}, {}
    FakeActiveCampaign.delay = 0.0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeActiveCampaign)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
