"""The integrator's mix against a running server (bench/load.py starts one and this file):
event ingest (single and bulk of 50), contact upserts, agentless mail and preference-center
logins. Credentials come from the environment bench/load.py sets."""

from __future__ import annotations

import itertools
import os
import random
import time

from locust import HttpUser, between, task

KEY = os.environ.get("LOAD_API_KEY", "")
AGENTLESS_KEY = os.environ.get("LOAD_AGENTLESS_KEY", "")
CONTACTS = [int(pk) for pk in os.environ.get("LOAD_CONTACT_IDS", "").split(",") if pk]
PORTAL = os.environ.get("LOAD_PORTAL_PATH", "")
PORTAL_LOGIN = os.environ.get("LOAD_PORTAL_EMAIL", ""), os.environ.get("LOAD_PORTAL_PASSWORD", "")
SENDER = os.environ.get("LOAD_SENDER", "")
_sequence = itertools.count()


class Integrator(HttpUser):
    wait_time = between(0.05, 0.2)

    def _headers(self, key: str = KEY) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    @task(10)
    def single_event(self) -> None:
        body = {"type": "custom", "name": "load", "contact": random.choice(CONTACTS), "payload": {"n": next(_sequence)}}
        self.client.post("/api/v1/events", json=body, headers=self._headers(), name="event")

    @task(2)
    def bulk_events(self) -> None:
        events = [
            {"type": "custom", "name": "load", "contact": random.choice(CONTACTS), "payload": {"n": next(_sequence)}}
            for _ in range(50)
        ]
        self.client.post("/api/v1/events/bulk", json={"events": events}, headers=self._headers(), name="events bulk 50")

    @task(4)
    def upsert_contact(self) -> None:
        address = f"load{random.randrange(5000)}@load.example"
        self.client.put(
            f"/api/v1/contacts/by-email/{address}", json={"first_name": f"Load {time.time_ns()}"},
            headers=self._headers(), name="contact upsert",
        )  # fmt: skip

    @task(2)
    def agentless_mail(self) -> None:
        body = {
            "fromAddress": {"email": SENDER},
            "toAddresses": [{"email": f"reader{next(_sequence)}@load.example"}],
            "subject": "Load",
            "textBody": "Hello",
        }
        self.client.post(
            "/api/v1/conversations/emails/agentless", json=body, headers=self._headers(AGENTLESS_KEY), name="agentless",
        )  # fmt: skip

    @task(1)
    def portal_login(self) -> None:
        self.client.get(f"{PORTAL}login/", name="portal login page")
        token = self.client.cookies.get("csrftoken", "")
        email, password = PORTAL_LOGIN
        self.client.post(
            f"{PORTAL}login/", data={"csrfmiddlewaretoken": token, "email": email, "password": password},
            headers={"X-CSRFToken": token}, name="portal login", allow_redirects=False,
        )  # fmt: skip
