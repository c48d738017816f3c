"""What the two "send HTTP request" jobs (K and S) share: parameters and the request."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from django import forms
from django.template import Context
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from automations.jobs.base import ENCRYPTED, JobContext, JobParameters
from engage import crypto
from engage.errors import PermanentError, TransientError
from engage.lib import http
from engage.lib.dynamic import ENGINE, check_template, render_json, render_text
from engage.notes import note, sentence

MAX_RESPONSE_SHOWN = 1000

NOT_PUBLIC = sentence(gettext_noop("Refused: %(host)s is not a public address."))
NO_CONNECTION = sentence(gettext_noop("Could not connect to %(host)s: %(error)s"))
NO_ANSWER = sentence(gettext_noop("%(host)s did not answer within %(seconds)s s"))
REQUEST_FAILED = sentence(gettext_noop("Request failed: %(error)s"))


class HttpParameters(JobParameters):
    method = forms.ChoiceField(label=_("method"), choices=[("POST", "POST"), ("GET", "GET")])
    url = forms.CharField(
        label=_("URL"),
        max_length=2000,
        help_text=_("May contain dynamic text, e.g. …?email={{ contact.email|urlencode }}"),
    )
    body_format = forms.ChoiceField(
        label=_("body"),
        choices=[("json", "JSON"), ("form", _("form fields")), ("xml", "XML"), ("none", _("no body"))],
        initial="json",
    )
    body = forms.CharField(
        label=_("body template"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "JSON and form fields: a JSON object whose strings may hold dynamic text. "
            "XML: the document, dynamic text escaped for XML."
        ),
    )
    signing_secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "If set, each request carries X-Engage-Timestamp and X-Engage-Signature: sha256=HMAC(secret, "
            "timestamp.body). Stored encrypted; enter it again when you change the job."
        ),
    )
    timeout = forms.IntegerField(label=_("timeout (seconds)"), min_value=1, max_value=30, initial=10)

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        check_template(url)
        if urlsplit(url).scheme not in {"http", "https"}:
            raise forms.ValidationError(_("Use an http:// or https:// address."))
        return url

    def clean(self):
        cleaned = super().clean()
        body, body_format = cleaned.get("body") or "", cleaned.get("body_format")
        if body_format in {"json", "form"} and body:
            try:
                data = json.loads(body)
            except json.JSONDecodeError as exc:
                self.add_error("body", _("Not valid JSON: %(error)s") % {"error": exc})
                return cleaned
            if not isinstance(data, dict):
                self.add_error("body", _("Enter a JSON object."))
        if body:
            try:
                check_template(body)
            except forms.ValidationError as exc:
                self.add_error("body", exc)
        return cleaned

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        secret = data.pop("signing_secret", "")
        if secret and not secret.startswith(ENCRYPTED):
            data["signing_secret"] = ENCRYPTED + crypto.encrypt(secret)
        elif secret:
            data["signing_secret"] = secret
        return data


def send(context: JobContext) -> dict[str, Any]:
    params, data = context.params, context.template_data()
    url = render_text(params["url"], data)
    body, content_type = _body(params.get("body_format", "none"), params.get("body") or "", data)
    headers = {"Content-Type": content_type} if content_type else {}
    secret = params.get("signing_secret", "")
    if secret:
        timestamp = str(int(time.time()))
        key = crypto.decrypt(secret[len(ENCRYPTED) :]).encode()
        digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        headers.update({"X-Engage-Timestamp": timestamp, "X-Engage-Signature": f"sha256={digest}"})
    headers["Idempotency-Key"] = f"engage-run-{context.run.pk}"
    try:
        response = http.request(
            params.get("method", "POST"), url, data=body or None, headers=headers, timeout=params.get("timeout") or 10
        )
    except requests.exceptions.ConnectionError as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(getattr(reason, "reason", None), http.ForbiddenAddress) or "non-public address" in str(exc):
            raise PermanentError(note(NOT_PUBLIC, host=urlsplit(url).hostname)) from exc
        raise TransientError(note(NO_CONNECTION, host=urlsplit(url).hostname, error=exc.__class__.__name__)) from exc
    except requests.exceptions.Timeout as exc:
        raise TransientError(note(NO_ANSWER, host=urlsplit(url).hostname, seconds=params.get("timeout") or 10)) from exc
    except requests.exceptions.RequestException as exc:
        raise PermanentError(note(REQUEST_FAILED, error=exc)) from exc
    shown = response.text[:MAX_RESPONSE_SHOWN]
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(f"HTTP {response.status_code} from {urlsplit(url).hostname}: {shown[:200]}")
    if response.status_code >= 400:
        raise PermanentError(f"HTTP {response.status_code} from {urlsplit(url).hostname}: {shown[:200]}")
    return {"url": url, "status": response.status_code, "response": shown}


def _body(body_format: str, template: str, data: dict) -> tuple[bytes, str]:
    if body_format == "none" or not template:
        return b"", ""
    if body_format == "xml":
        text = ENGINE.from_string(template).render(Context(data, autoescape=True))
        return text.encode(), "application/xml; charset=utf-8"
    values = render_json(json.loads(template), data)
    if body_format == "form":
        return urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}).encode(), (
            "application/x-www-form-urlencoded"
        )
    return json.dumps(values, ensure_ascii=False).encode(), "application/json"
