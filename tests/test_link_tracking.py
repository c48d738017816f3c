"""Engage's own open pixel and click redirects for mail sent over SMTP."""

import re

import pytest
from django.core import mail as django_mail

from automations.models import Event
from engage.events import EventType
from notifications.linktracking import click_token, open_token
from notifications.models import OutboundMessage, TrackingEvent
from notifications.prepared import unsubscribe_url
from notifications.services import RenderedMail, send_mail
from tests.factories import ContactFactory

Status = OutboundMessage.Status
HTML = (
    '<html><body><p><a href="https://shop.example.com/deals?a=1&amp;b=2">Deals</a> '
    '<a href="mailto:help@example.com">Write to us</a> <a href="#top">Top</a></p></body></html>'
)


@pytest.fixture
def contact(alice_org):
    return ContactFactory(organization=alice_org, email="ann@example.org")


def send(organization, contact, html=HTML, **kwargs):
    mail = RenderedMail(subject="Deals", text="Deals: https://shop.example.com/deals", html=html, **kwargs)
    return send_mail(organization=organization, to=contact.email, mail=mail, contact=contact)


def html_of(received) -> str:
    return received.get_body(("html",)).get_content()


def links_in(html: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in re.findall(r'href="([^"]+)"', html)]


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_web_links_go_through_a_signed_redirect_and_a_pixel_is_added(alice_org, contact, smtp_server, settings):
    send(alice_org, contact)
    html = html_of(smtp_server.messages[0])
    tracked, mailto, anchor = links_in(html)
    assert tracked.startswith(settings.BASE_URL + "/t/c/")
    assert (mailto, anchor) == ("mailto:help@example.com", "#top")
    assert re.search(r'<img src="[^"]+/t/o/[^"]+\.gif" width="1" height="1"', html)
    assert html.index("/t/o/") < html.index("</body>")


def test_a_click_redirects_to_the_original_url_and_is_recorded(client, alice_org, contact, smtp_server):
    message = send(alice_org, contact)
    tracked = links_in(html_of(smtp_server.messages[0]))[0]
    response = client.get(path_of(tracked))
    assert response.status_code == 302
    assert response["Location"] == "https://shop.example.com/deals?a=1&b=2"
    assert OutboundMessage.objects.get(pk=message.pk).status == Status.CLICKED
    event = Event.objects.get(type=EventType.MESSAGE_CLICKED)
    assert (event.contact, event.payload["url"]) == (contact, "https://shop.example.com/deals?a=1&b=2")


def test_a_link_scanner_checking_with_head_is_redirected_but_not_counted(client, alice_org, contact, smtp_server):
    message = send(alice_org, contact)
    tracked = links_in(html_of(smtp_server.messages[0]))[0]
    response = client.head(path_of(tracked))
    assert (response.status_code, response["Location"]) == (302, "https://shop.example.com/deals?a=1&b=2")
    assert OutboundMessage.objects.get(pk=message.pk).status == Status.SENT
    assert not TrackingEvent.objects.exists()


def test_every_click_is_recorded_but_automations_start_once_per_link(client, alice_org, contact, smtp_server):
    send(alice_org, contact)
    tracked = path_of(links_in(html_of(smtp_server.messages[0]))[0])
    client.get(tracked)
    client.get(tracked)
    assert TrackingEvent.objects.filter(event_type="clicked").count() == 2
    assert Event.objects.filter(type=EventType.MESSAGE_CLICKED).count() == 1


def test_the_pixel_records_one_open_per_message(client, alice_org, contact, smtp_server):
    message = send(alice_org, contact)
    pixel = re.search(r'<img src="([^"]+)"', html_of(smtp_server.messages[0])).group(1)
    for _ in range(3):
        response = client.get(path_of(pixel))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/gif"
    assert OutboundMessage.objects.get(pk=message.pk).status == Status.OPENED
    assert TrackingEvent.objects.filter(event_type="opened").count() == 1
    assert Event.objects.filter(type=EventType.MESSAGE_OPENED).count() == 1


def test_a_click_after_the_open_does_not_go_back(client, alice_org, contact, smtp_server):
    message = send(alice_org, contact)
    html = html_of(smtp_server.messages[0])
    client.get(path_of(links_in(html)[0]))
    client.get(path_of(re.search(r'<img src="([^"]+)"', html).group(1)))
    assert OutboundMessage.objects.get(pk=message.pk).status == Status.CLICKED


def test_a_tampered_or_foreign_token_is_a_404_and_never_redirects(client, alice_org, contact, smtp_server):
    message = send(alice_org, contact)
    good = click_token(message.pk, "https://shop.example.com/deals")
    assert client.get(f"/t/c/{good[:-3]}xyz/").status_code == 404
    # A token made for another URL by somebody without our key:
    forged = good.replace(good.split(":")[0], click_token(message.pk, "https://evil.example").split(":")[0])
    assert client.get(f"/t/c/{forged}/").status_code == 404
    # An open token is not a click token (different salts):
    assert client.get(f"/t/c/{open_token(message.pk)}/").status_code == 404
    assert client.get(f"/t/o/{open_token(message.pk)}x.gif").status_code == 404
    assert not TrackingEvent.objects.exists()


def test_unsubscribe_links_are_not_rewritten(alice_org, contact, smtp_server):
    url = unsubscribe_url(contact)
    html = f'<p><a href="{url}">Unsubscribe</a> <a href="https://shop.example.com/">Shop</a></p>'
    mail = RenderedMail(subject="Deals", text="x", html=html)
    send_mail(
        organization=alice_org, to=contact.email, mail=mail, contact=contact,
        headers={"List-Unsubscribe": f"<{url}>"},
    )  # fmt: skip
    unsubscribe, shop = links_in(html_of(smtp_server.messages[0]))
    assert unsubscribe == url
    assert "/t/c/" in shop


def test_mails_with_secrets_are_not_tracked(alice_org, contact, smtp_server):
    html = '<p>Your password: s3cret <a href="https://portal.example.com/login?pw=s3cret">Log in</a></p>'
    send(alice_org, contact, html=html, secrets=("s3cret",))
    received = html_of(smtp_server.messages[0])
    assert "https://portal.example.com/login?pw=s3cret" in received
    assert "/t/o/" not in received


def test_mail_sent_through_a_provider_is_not_rewritten_and_carries_our_id(alice_org, contact, settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    message = send(alice_org, contact)
    [sent] = django_mail.outbox
    assert "/t/c/" not in sent.alternatives[0][0]
    assert sent.metadata["engage_message_id"] == message.message_id
