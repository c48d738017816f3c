"""ActiveCampaign's API v3 on loopback, as far as Engage uses it, answering in the shapes of
the recorded fixtures (tests/fixtures/activecampaign_*) and recording what it received.

It keeps state like the real account does: contacts are upserted by e-mail address,
tags, lists, accounts and webhooks get ids, contactTags can be deleted again. Failures are
injected per path (`fail`), for everything (`outage`), or as a 429 with Retry-After
(`throttle`). Used by the tests and by bench/activecampaign_sync.py.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.payloads import fixture

TOKEN = "ac-key-123"
NOT_FOUND = json.loads(fixture("activecampaign_error_404.json"))
MISSING = json.loads(fixture("activecampaign_error_422.json"))
SYNC_ANSWER = json.loads(fixture("activecampaign_contact_sync_response.json"))
TAG_ANSWER = json.loads(fixture("activecampaign_contact_tag_response.json"))
DATE = "2024-05-14T04:25:43-05:00"


class State:
    """The account: what exists in it, and what it received."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[dict[str, Any]] = []
        self.fail: dict[str, tuple[int, Any]] = {}  # path → (status, body)
        self.outage = False  # every call answers 503
        self.throttle: float | None = None  # the next call answers 429 with this Retry-After
        self.delay = 0.0
        self.token = TOKEN
        self.contacts: dict[str, dict[str, Any]] = {}  # id → contact
        self.tags: dict[str, str] = {"16": "oxas-sync"}  # id → name
        self.contact_tags: dict[str, tuple[str, str]] = {}  # id → (contact, tag)
        self.contact_lists: dict[tuple[str, str], str] = {}  # (contact, list) → status
        self.lists = {"3": "Newsletter DE", "4": "Newsletter EN"}
        self.automations = {"42": "Welcome series", "43": "Onboarding"}
        self.fields = {"1": "Kundennummer", "4": "Sprache"}
        self.accounts: dict[str, str] = {}  # id → name
        self.account_contacts: dict[str, tuple[str, str]] = {}  # id → (account, contact)
        self.contact_automations: dict[str, tuple[str, str]] = {}  # id → (contact, automation)
        self.webhooks: dict[str, dict[str, Any]] = {}
        self._next = 1842

    def new_id(self) -> str:
        self._next += 1
        return str(self._next - 1)

    def calls(self) -> list[tuple[str, str]]:
        return [(r["method"], r["path"]) for r in self.received]

    def bodies(self, method: str, path: str) -> list[Any]:
        return [r["json"] for r in self.received if (r["method"], r["path"]) == (method, path)]

    def tags_of(self, email: str) -> set[str]:
        contact = self.contact_id(email)
        return {self.tags[tag] for c, tag in self.contact_tags.values() if c == contact}

    def contact_id(self, email: str) -> str | None:
        return next((i for i, c in self.contacts.items() if c["email"] == email.lower()), None)


def _listing(key: str, items: dict[str, str], name_key: str, query: dict[str, list[str]]) -> tuple[int, Any]:
    search = (query.get("search") or [""])[0].lower()
    rows = [{"id": i, name_key: n} for i, n in items.items() if search in n.lower()]
    return 200, {key: rows, "meta": {"total": str(len(rows))}}


class Handler(BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def _answer(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with state.lock:
            state.received.append(
                {"method": self.command, "path": url.path, "query": url.query, "token": self.headers.get("Api-Token"),
                 "json": body, "at": time.monotonic()}
            )  # fmt: skip
            throttle, state.throttle = state.throttle, None
        time.sleep(state.delay)
        headers: dict[str, str] = {}
        if throttle is not None:
            status, answer = 429, {"message": "Too Many Requests"}
            headers["Retry-After"] = str(throttle)
        elif state.outage:
            status, answer = 503, {"message": "Service Unavailable"}
        elif self.headers.get("Api-Token") != state.token:
            status, answer = 403, {"message": "No Result found for Subscriber with id 0"}
        elif url.path in state.fail:
            status, answer = state.fail[url.path]
        else:
            with state.lock:
                status, answer = self._route(state, url.path, parse_qs(url.query), body or {})
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _route(self, s: State, path: str, query: dict[str, list[str]], body: dict[str, Any]) -> tuple[int, Any]:
        route = (self.command, re.sub(r"/\d+", "/{id}", path.removeprefix("/api/3/")))
        found = re.search(r"/(\d+)$", path)
        ident = found.group(1) if found else ""
        match route:
            case ("GET", "users/me"):
                return 200, {"user": {"id": "1", "username": "admin", "email": "admin@example.com"}}
            case ("POST", "contact/sync"):
                return self._sync(s, body.get("contact") or {})
            case ("DELETE", "contacts/{id}"):
                return (200, {}) if s.contacts.pop(ident, None) else (404, NOT_FOUND)
            case ("GET", "tags"):
                return _listing("tags", s.tags, "tag", query)
            case ("POST", "tags"):
                tag = body.get("tag") or {}
                if not tag.get("tag"):
                    return 422, MISSING
                ident = s.new_id()
                s.tags[ident] = tag["tag"]
                return 201, {"tag": {**tag, "cdate": DATE, "links": {}, "id": ident}}
            case ("POST", "contactTags"):
                link = body.get("contactTag") or {}
                if link.get("contact") not in s.contacts or link.get("tag") not in s.tags:
                    return 422, MISSING
                ident = s.new_id()
                s.contact_tags[ident] = (link["contact"], link["tag"])
                return 201, {"contactTag": {**TAG_ANSWER["contactTag"], **link, "id": ident}}
            case ("DELETE", "contactTags/{id}"):
                return (200, {}) if s.contact_tags.pop(ident, None) else (404, NOT_FOUND)
            case ("POST", "contactLists"):
                link = body.get("contactList") or {}
                if link.get("contact") not in s.contacts or link.get("list") not in s.lists:
                    return 422, MISSING
                s.contact_lists[(link["contact"], link["list"])] = str(link.get("status"))
                return 201, {"contactList": {**link, "id": s.new_id(), "links": {}}}
            case ("GET", "lists"):
                return _listing("lists", s.lists, "name", query)
            case ("GET", "automations"):
                return _listing("automations", s.automations, "name", query)
            case ("GET", "fields"):
                return _listing("fields", s.fields, "title", query)
            case ("GET", "accounts"):
                return _listing("accounts", s.accounts, "name", query)
            case ("POST", "accounts"):
                name = (body.get("account") or {}).get("name")
                if not name:
                    return 422, MISSING
                ident = s.new_id()
                s.accounts[ident] = name
                return 201, {"account": {"name": name, "id": ident, "links": {}}}
            case ("POST", "accountContacts"):
                link = body.get("accountContact") or {}
                if link.get("contact") not in s.contacts or link.get("account") not in s.accounts:
                    return 422, MISSING
                ident = s.new_id()
                s.account_contacts[ident] = (link["account"], link["contact"])
                return 201, {"accountContact": {**link, "id": ident}}
            case ("POST", "contactAutomations"):
                link = body.get("contactAutomation") or {}
                if link.get("contact") not in s.contacts:
                    return 404, NOT_FOUND
                ident = s.new_id()
                s.contact_automations[ident] = (link["contact"], link.get("automation", ""))
                return 201, {"contactAutomation": {**link, "id": ident}}
            case ("POST", "webhooks"):
                hook = body.get("webhook") or {}
                if not hook.get("url") or not hook.get("events"):
                    return 422, MISSING
                ident = s.new_id()
                s.webhooks[ident] = hook
                return 201, {"webhook": {**hook, "id": ident}}
        return 404, NOT_FOUND

    def _sync(self, s: State, contact: dict[str, Any]) -> tuple[int, Any]:
        email = str(contact.get("email") or "").lower()
        if "@" not in email:
            return 422, MISSING
        ident = s.contact_id(email) or s.new_id()
        stored = s.contacts.setdefault(ident, {"email": email, "fieldValues": {}})
        stored.update({k: v for k, v in contact.items() if k not in {"email", "fieldValues"}})
        for value in contact.get("fieldValues") or []:
            stored["fieldValues"][str(value["field"])] = value["value"]
        answer = json.loads(json.dumps(SYNC_ANSWER))
        answer["contact"].update({**{k: v for k, v in stored.items() if k != "fieldValues"}, "id": ident})
        answer["fieldValues"] = [
            {**SYNC_ANSWER["fieldValues"][0], "contact": ident, "owner": ident, "field": f, "value": v}
            for f, v in stored["fieldValues"].items()
        ]
        return 201, answer

    def log_message(self, *args: Any) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = State()
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> Server:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
