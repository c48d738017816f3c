"""ActiveCampaign (API v3): every call Engage makes to an account.

Every call takes a token from the account's bucket first (pacing: 5 requests a second
across all processes) and goes through engage.lib.http (refuses private addresses). 429,
5xx, timeouts and connection failures are transient (retried; a 429's Retry-After stops
every process calling the account until it has passed); other 4xx answers are permanent
and carry ActiveCampaign's own message (`errors[].title` / `detail`, or `message`).
"""

from __future__ import annotations

from typing import Any

import requests
from django.utils.translation import gettext_noop

from engage import crypto
from engage.errors import PermanentError, TransientError
from engage.lib import http
from engage.notes import note, sentence
from integrations.activecampaign import pacing
from integrations.activecampaign.models import ActiveCampaignConnection

TIMEOUT = 10
PAGE = 100
DEFAULT_RETRY_AFTER = 60.0

# What a failed call says (see engage.notes).
NO_ANSWER = sentence(gettext_noop("ActiveCampaign did not answer within %(seconds)s s (%(path)s)."))
NOT_PUBLIC = sentence(gettext_noop("Refused: the ActiveCampaign API URL is not a public address."))
NO_CONNECTION = sentence(gettext_noop("Could not connect to ActiveCampaign (%(path)s): %(error)s"))
FAILED = sentence(gettext_noop("ActiveCampaign request failed (%(path)s): %(error)s"))
ANSWERED = sentence(gettext_noop("ActiveCampaign answered HTTP %(status)s to %(path)s: %(message)s"))
NOT_JSON = sentence(gettext_noop("ActiveCampaign answered %(path)s with something that is not JSON."))


class RateLimited(TransientError):
    """429: try again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WrongToken(PermanentError):
    """401/403: the account refused the API key."""


class Client:
    def __init__(self, connection: ActiveCampaignConnection):
        self.base = connection.api_url.rstrip("/") + "/api/3/"
        self.account = pacing.account_of(connection.api_url)
        self.headers = {"Api-Token": crypto.decrypt(connection.api_key_encrypted), "Accept": "application/json"}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, **params: str) -> dict[str, Any]:
        pacing.take(self.account)
        try:
            response = http.request(
                method, self.base + path, json=body, params=params or None, headers=self.headers, timeout=TIMEOUT
            )
        except requests.exceptions.Timeout as exc:
            raise TransientError(note(NO_ANSWER, seconds=TIMEOUT, path=path)) from exc
        except requests.exceptions.ConnectionError as exc:
            if "non-public address" in str(exc):
                raise PermanentError(note(NOT_PUBLIC)) from exc
            raise TransientError(note(NO_CONNECTION, path=path, error=exc.__class__.__name__)) from exc
        except requests.exceptions.RequestException as exc:
            raise PermanentError(note(FAILED, path=path, error=exc.__class__.__name__)) from exc
        if response.status_code < 400:
            try:
                return response.json() if response.content else {}
            except ValueError as exc:
                raise TransientError(note(NOT_JSON, path=path)) from exc
        answer = note(ANSWERED, status=response.status_code, path=path, message=_message(response))
        if response.status_code == 429:
            wait = retry_after(response)
            pacing.block(self.account, wait)
            raise RateLimited(answer, wait)
        if response.status_code >= 500:
            raise TransientError(answer)
        if response.status_code in (401, 403):
            raise WrongToken(answer)
        raise PermanentError(answer)

    # --- Reading the account ----------------------------------------------------------
    def check(self) -> None:
        """One cheap call that needs a valid key."""
        self.call("GET", "users/me")

    def names(self, kind: str) -> dict[str, str]:
        """The account's automations, lists or fields: id → name (every page)."""
        key = {"automations": "name", "lists": "name", "fields": "title"}[kind]
        found: dict[str, str] = {}
        while True:
            rows = self.call("GET", kind, limit=str(PAGE), offset=str(len(found))).get(kind) or []
            found.update({str(row["id"]): str(row.get(key, "")) for row in rows})
            if len(rows) < PAGE:
                return found

    # --- Contacts -----------------------------------------------------------------------
    def sync_contact(self, contact: dict[str, Any]) -> str:
        """Create or update the contact by e-mail address; returns ActiveCampaign's id."""
        return str(self.call("POST", "contact/sync", {"contact": contact})["contact"]["id"])

    def delete_contact(self, contact_id: str) -> None:
        try:
            self.call("DELETE", f"contacts/{contact_id}")
        except PermanentError as exc:
            if "HTTP 404" not in str(exc):
                raise  # already gone is what we wanted

    def tag_id(self, name: str, description: str = "") -> str:
        """The id of the contact tag called `name`, created if it does not exist."""
        found = self.call("GET", "tags", search=name).get("tags") or []
        for tag in found:
            if str(tag.get("tag", "")).lower() == name.lower():
                return str(tag["id"])
        created = self.call("POST", "tags", {"tag": {"tag": name, "tagType": "contact", "description": description}})
        return str(created["tag"]["id"])

    def add_tag(self, contact_id: str, tag_id: str) -> str:
        """Returns the id of the contactTag (needed to remove it again)."""
        answer = self.call("POST", "contactTags", {"contactTag": {"contact": contact_id, "tag": tag_id}})
        return str((answer.get("contactTag") or {}).get("id", ""))

    def remove_tag(self, contact_tag_id: str) -> None:
        try:
            self.call("DELETE", f"contactTags/{contact_tag_id}")
        except PermanentError as exc:
            if "HTTP 404" not in str(exc):
                raise

    def set_list_status(self, contact_id: str, list_id: str, status: str) -> None:
        """status "1": subscribed, "2": unsubscribed."""
        self.call("POST", "contactLists", {"contactList": {"list": list_id, "contact": contact_id, "status": status}})

    def account_id(self, name: str) -> str:
        """The id of the account (company) called `name`, created if it does not exist."""
        for account in self.call("GET", "accounts", search=name).get("accounts") or []:
            if str(account.get("name", "")).strip().lower() == name.strip().lower():
                return str(account["id"])
        return str(self.call("POST", "accounts", {"account": {"name": name}})["account"]["id"])

    def link_account(self, contact_id: str, account_id: str) -> None:
        self.call("POST", "accountContacts", {"accountContact": {"contact": contact_id, "account": account_id}})

    def add_to_automation(self, contact_id: str, automation_id: str) -> str:
        body = {"contactAutomation": {"contact": contact_id, "automation": automation_id}}
        answer = self.call("POST", "contactAutomations", body)
        return str((answer.get("contactAutomation") or {}).get("id", ""))

    def create_webhook(self, *, name: str, url: str, events: list[str]) -> str:
        body = {
            "webhook": {"name": name, "url": url, "events": events, "sources": ["public", "admin", "api", "system"]}
        }
        return str(self.call("POST", "webhooks", body)["webhook"]["id"])


def retry_after(response: requests.Response) -> float:
    """Retry-After in seconds (ActiveCampaign sends seconds; an HTTP date counts as the default)."""
    try:
        return max(float(response.headers.get("Retry-After", "")), 0.0)
    except ValueError:
        return DEFAULT_RETRY_AFTER


def _message(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict) and isinstance(data.get("errors"), list):
        parts = [
            " – ".join(str(e[k]) for k in ("title", "detail") if isinstance(e, dict) and e.get(k))
            for e in data["errors"]
        ]
        return "; ".join(p for p in parts if p) or response.text[:200]
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])[:200]
    return response.text[:200]
