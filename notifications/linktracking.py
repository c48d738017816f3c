"""Engage's own open pixel and click redirects, for mail sent over SMTP (providers track
mail sent through their API themselves and report it to the webhooks).

Every http(s) link in a mail's HTML becomes `/t/c/<token>/`, where the token is signed
(django.core.signing, its own salt) and carries the message and the original URL: a
redirect can only ever lead to the URL that was in that mail, and a token that was
tampered with is a 404. A 1×1 pixel `/t/o/<token>.gif` reports the open.

Not rewritten: unsubscribe links (they must work without a detour, and a mail scanner
following redirects must not look like a click), mailto: and other non-web links, and
mails that carry secrets (passwords must not travel through a token or be logged as
the URL of a click). Changing SECRET_KEY invalidates the links of mails already sent.
"""

from __future__ import annotations

import functools
import html
import re

from django.conf import settings
from django.core import signing
from django.urls import Resolver404, resolve, reverse

CLICK_SALT = "engage.notifications.click"
OPEN_SALT = "engage.notifications.open"
HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
PIXEL = '<img src="{}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">'


class InvalidLink(Exception):
    pass


def click_token(message_id: int, url: str) -> str:
    return signing.dumps({"m": message_id, "u": url}, salt=CLICK_SALT, compress=True)


def read_click_token(token: str) -> tuple[int, str]:
    try:
        data = signing.loads(token, salt=CLICK_SALT)
        return int(data["m"]), str(data["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidLink(str(exc)) from exc


def open_token(message_id: int) -> str:
    return signing.dumps(message_id, salt=OPEN_SALT)


def read_open_token(token: str) -> int:
    try:
        return int(signing.loads(token, salt=OPEN_SALT))
    except (signing.BadSignature, TypeError, ValueError) as exc:
        raise InvalidLink(str(exc)) from exc


def add_tracking(body: str, *, message_id: int, keep: frozenset[str] = frozenset()) -> str:
    """The HTML with its web links through our redirect and the open pixel at the end.
    Links in `keep` (the List-Unsubscribe URL) are left as they are."""

    def rewrite(match: re.Match) -> str:
        url = html.unescape(match.group(3)).strip()
        if not is_trackable(url) or url in keep:
            return match.group(0)
        redirect = _url("tracking:click", click_token(message_id, url))
        return f"{match.group(1)}{match.group(2)}{html.escape(redirect)}{match.group(2)}"

    body = HREF.sub(rewrite, body)
    pixel = PIXEL.format(_url("tracking:open", open_token(message_id)))
    if "</body" not in body.lower():
        return body + pixel
    return re.sub(r"(?i)</body>", lambda m: pixel + m.group(0), body, count=1)


def _url(name: str, token: str) -> str:
    # Tokens are URL-safe (base64 and ":"), so the reversed pattern is filled in directly:
    # one reverse() per process instead of one per link of every mail.
    prefix, _, suffix = _url_pattern(name, settings.BASE_URL).rpartition(PLACEHOLDER)
    return prefix + token + suffix


PLACEHOLDER = "__token__"


@functools.lru_cache(maxsize=4)
def _url_pattern(name: str, base_url: str) -> str:
    return base_url + reverse(name, kwargs={"token": PLACEHOLDER})


def is_trackable(url: str) -> bool:
    if not re.match(r"(?i)https?://", url):
        return False  # mailto:, tel:, #anchors, relative links
    return not _is_unsubscribe(url)


def _is_unsubscribe(url: str) -> bool:
    if not url.startswith(settings.BASE_URL + "/"):
        return False
    path = url[len(settings.BASE_URL) :].split("?", 1)[0].split("#", 1)[0]
    try:
        return resolve(path).url_name == "unsubscribe"
    except Resolver404:
        return False
