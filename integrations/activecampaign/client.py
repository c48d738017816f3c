"""ActiveCampaign (API v3): the calls of the job "start external automation".

Every call goes through engage.lib.http (refuses private addresses). 429, 5xx, timeouts and
connection failures are transient (retried); other 4xx answers are permanent and carry
ActiveCampaign's own message (`errors[].title` / `detail`, or `message`).
"""

from __future__ import annotations

from typing import Any

import requests

from engage import crypto
from engage.errors import PermanentError, TransientError
from engage.lib import http
from integrations.activecampaign.models import ActiveCampaignConnection

TIMEOUT = 10


class Client:
    def __init__(self, connection: ActiveCampaignConnection):
        self.base = connection.api_url.rstrip("/") + "/api/3/"
        self.headers = {"Api-Token": crypto.decrypt(connection.api_key_encrypted), "Accept": "application/json"}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, **params: str) -> dict[str, Any]:
        try:
            response = http.request(
                method, self.base + path, json=body, params=params or None, headers=self.headers, timeout=TIMEOUT
            )
        except requests.exceptions.Timeout as exc:
            raise TransientError(f"ActiveCampaign did not answer within {TIMEOUT} s ({path}).") from exc
        except requests.exceptions.ConnectionError as exc:
            if "non-public address" in str(exc):
                raise PermanentError("Refused: the ActiveCampaign API URL is not a public address.") from exc
            raise TransientError(f"Could not connect to ActiveCampaign ({path}): {exc.__class__.__name__}") from exc
        except requests.exceptions.RequestException as exc:
            raise PermanentError(f"ActiveCampaign request failed ({path}): {exc.__class__.__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"ActiveCampaign answered HTTP {response.status_code} to {path}: {_message(response)}")
        if response.status_code >= 400:
            raise PermanentError(f"ActiveCampaign answered HTTP {response.status_code} to {path}: {_message(response)}")
        try:
            return response.json()
        except ValueError as exc:
            raise TransientError(f"ActiveCampaign answered {path} with something that is not JSON.") from exc

    def sync_contact(self, contact: dict[str, Any]) -> str:
        """Create or update the contact by e-mail address; returns ActiveCampaign's id."""
        return str(self.call("POST", "contact/sync", {"contact": contact})["contact"]["id"])

    def tag_id(self, name: str) -> str:
        """The id of the contact tag called `name`, created if it does not exist."""
        found = self.call("GET", "tags", search=name).get("tags") or []
        for tag in found:
            if str(tag.get("tag", "")).lower() == name.lower():
                return str(tag["id"])
        created = self.call("POST", "tags", {"tag": {"tag": name, "tagType": "contact", "description": ""}})
        return str(created["tag"]["id"])

    def add_tag(self, contact_id: str, tag_id: str) -> None:
        self.call("POST", "contactTags", {"contactTag": {"contact": contact_id, "tag": tag_id}})

    def add_to_automation(self, contact_id: str, automation_id: str) -> str:
        body = {"contactAutomation": {"contact": contact_id, "automation": automation_id}}
        answer = self.call("POST", "contactAutomations", body)
        return str((answer.get("contactAutomation") or {}).get("id", ""))


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
