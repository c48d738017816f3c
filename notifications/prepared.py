"""Prepared messages: rendered for one recipient, in their language, ready for the outbox.

Dynamic text uses the Django template language on plain data only (engage.lib.dynamic):
HTML is autoescaped, text is not; a template error is found when the message is saved.
CSS is inlined (css-inline) because many mail programs ignore <style> blocks.
"""

from __future__ import annotations

import functools
import html as html_lib
import re
from dataclasses import dataclass, field
from typing import Any

import css_inline
from django.core.exceptions import ValidationError
from django.template import Context
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html, strip_tags
from django.utils.translation import gettext

from contacts.models import Contact
from contacts.tokens import make_unsubscribe_token
from engage.lib import memo
from engage.lib.dynamic import check_template, compiled, template_data
from notifications.contact_mails import portal_url
from notifications.mailsettings import sender
from notifications.models import PreparedMessage, PreparedMessageVariant
from notifications.services import RenderedMail

RECENT_TRANSACTIONS = 5


@dataclass(frozen=True)
class PreparedMail:
    mail: RenderedMail
    headers: dict[str, str] = field(default_factory=dict)
    from_email: str = ""


def check_variant(variant: PreparedMessageVariant) -> None:
    errors = {}
    for name in ("subject", "preheader", "html_body", "text_body"):
        try:
            check_template(getattr(variant, name) or "")
        except ValidationError as exc:
            errors[name] = exc.messages
    if not variant.html_body and not variant.text_body:
        errors["html_body"] = ["Write an HTML body, a text body, or both."]
    if errors:
        raise ValidationError(errors)


def variant_for(message: PreparedMessage, language: str | None) -> PreparedMessageVariant:
    variants = memo.remembered(("variants", message.pk), lambda: list(message.variants.all()))
    if not variants:
        raise ValidationError(f"The prepared message “{message.name}” has no language variant.")
    return next((v for v in variants if v.language == language), variants[0])


def _recent_transactions(contact: Contact) -> list[dict[str, Any]]:
    return [
        {"type": t.type, "data": t.data, "occurred_at": t.occurred_at.isoformat()}
        for t in contact.transactions.order_by("-occurred_at")[:RECENT_TRANSACTIONS]
    ]


def render_prepared(
    message: PreparedMessage,
    *,
    contact: Contact | None = None,
    event=None,
    extra: dict[str, Any] | None = None,
    to_contact: bool = True,
    subject: str | None = None,
) -> PreparedMail:
    """Render for `contact`. With to_contact=False the contact only fills the dynamic text
    (the mail goes to another address), so it carries no unsubscribe link of theirs.
    `subject`, if given, replaces the language variant's subject (an A/B test's B)."""
    variant = variant_for(message, contact.language if contact else None)
    return render_variant(
        message, variant, contact=contact, event=event, extra=extra, to_contact=to_contact, subject=subject
    )


def render_variant(
    message: PreparedMessage,
    variant: PreparedMessageVariant,
    *,
    contact: Contact | None = None,
    event=None,
    extra: dict[str, Any] | None = None,
    to_contact: bool = True,
    subject: str | None = None,
) -> PreparedMail:
    """Render one language variant, saved or not (the editor's live preview), for `contact`."""
    data = template_data(contact=contact, event=event, organization=message.organization)
    if contact is not None:
        # A callable: the template language calls it only if the text uses it.
        data["transactions"] = functools.partial(_recent_transactions, contact)
    data.update(extra or {})
    headers: dict[str, str] = {}
    if message.is_marketing and contact is not None and to_contact:
        url = unsubscribe_url(contact)
        data["unsubscribe_url"] = url
        headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    subject = " ".join(
        _render(variant.subject if subject is None else subject, data, autoescape=False).split()
    )  # one line, always
    body = _render(variant.html_body, data, autoescape=True) if variant.html_body else ""
    # The text part is made from the body alone: without the hidden preheader and footer.
    text = _render(variant.text_body, data, autoescape=False) if variant.text_body else text_from_html(body)
    with translation.override(variant.language):
        unsubscribe = gettext("Unsubscribe")
    html = _html(variant, body, data, unsubscribe) if body else ""
    if "unsubscribe_url" in data and data["unsubscribe_url"] not in text:
        text += f"\n\n--\n{unsubscribe}: {data['unsubscribe_url']}\n"
    # A message's own from address carries its display name, or the organization's.
    from_email = sender(message.organization, message.from_email, message.from_name) if message.from_email else ""
    return PreparedMail(RenderedMail(subject=subject, text=text, html=html), headers, from_email)


def unsubscribe_url(contact: Contact) -> str:
    token = make_unsubscribe_token(contact.pk)
    # The URL around the token is the same for every contact of the organization.
    before, after = memo.remembered(
        ("unsubscribe-url", contact.organization.slug), lambda: _unsubscribe_url_around(contact.organization.slug)
    )
    return f"{before}{token}{after}"


def _unsubscribe_url_around(slug: str) -> tuple[str, str]:
    before, _, after = portal_url(reverse("portal:unsubscribe", kwargs={"slug": slug, "token": "TOKEN"})).rpartition(
        "TOKEN"
    )
    return before, after


def _render(template: str, data: dict, *, autoescape: bool) -> str:
    return compiled(template).render(Context(data, autoescape=autoescape))


def _html(variant: PreparedMessageVariant, body: str, data: dict, unsubscribe: str) -> str:
    """The rendered body with its hidden preheader, an unsubscribe link unless the body
    has its own, and the CSS inlined."""
    if variant.preheader:
        preheader = format_html(
            '<div style="display:none;max-height:0;overflow:hidden;mso-hide:all">{}</div>',
            _render(variant.preheader, data, autoescape=False),
        )
        body = (
            re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + preheader, body, count=1)
            if "<body" in body
            else preheader + body
        )
    if "unsubscribe_url" in data and "unsubscribe_url" not in variant.html_body:
        link = format_html(
            '<p style="font-size:12px;color:#52606d"><a href="{}">{}</a></p>', data["unsubscribe_url"], unsubscribe
        )
        body = body.replace("</body>", link + "</body>") if "</body>" in body else body + link
    return css_inline.inline(body)


def text_from_html(html: str) -> str:
    """A readable text part from HTML: block ends become line breaks, links keep their URL."""
    text = re.sub(r"(?is)<(script|style|head).*?</\1>", "", html)
    text = re.sub(r'(?is)<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', r"\2 (\1)", text)
    text = re.sub(r"(?i)<br\s*/?>|</(p|div|h[1-6]|li|tr)>", "\n", text)
    text = html_lib.unescape(strip_tags(text))
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
