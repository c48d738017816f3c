"""Engage's open pixel and click redirects (see linktracking.py)."""

from __future__ import annotations

import base64
import uuid

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from notifications.linktracking import InvalidLink, read_click_token, read_open_token
from notifications.models import OutboundMessage
from notifications.tracking import ENGAGE, record_tracking

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@never_cache
@require_GET
def opened(request: HttpRequest, token: str) -> HttpResponse:
    try:
        message_id = read_open_token(token)
    except InvalidLink as exc:
        raise Http404 from exc
    message = OutboundMessage.objects.select_related("organization", "contact").filter(pk=message_id).first()
    if message is None:
        raise Http404
    # One open per message: the pixel loads each time the mail is shown.
    record_tracking(message=message, esp=ENGAGE, event_id=f"open:{message.pk}", event_type="opened", raw=_raw(request))
    return HttpResponse(GIF, content_type="image/gif")


@never_cache
@require_safe
def clicked(request: HttpRequest, token: str) -> HttpResponse:
    try:
        message_id, url = read_click_token(token)
    except InvalidLink as exc:
        raise Http404 from exc
    message = OutboundMessage.objects.select_related("organization", "contact").filter(pk=message_id).first()
    if message is None:
        raise Http404
    if request.method == "HEAD":
        return HttpResponseRedirect(url)  # a link scanner checking the link: not a click
    record_tracking(
        message=message, esp=ENGAGE, event_id=f"click:{uuid.uuid4().hex}", event_type="clicked", url=url,
        raw=_raw(request),
    )  # fmt: skip
    return HttpResponseRedirect(url)


def _raw(request: HttpRequest) -> dict:
    return {"user_agent": request.headers.get("User-Agent", "")[:500]}
