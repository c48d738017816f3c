"""Salesforce Outbound Messages: reading the SOAP message and writing the two answers.

The message is parsed with defusedxml, which refuses DTDs, entity declarations and external
references, so an XML bomb or an XXE attempt is a parse error (a SOAP fault), never expanded.
Format: a `notifications` element (namespace http://soap.sforce.com/2005/09/outbound) with
OrganizationId, ActionId, SessionId, EnterpriseUrl, PartnerUrl and 1–100 `Notification`s,
each with an `Id` and an `sObject` whose fields are in urn:sobject.enterprise.soap.sforce.com.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.dateparse import parse_datetime
from django.utils.html import escape

OUTBOUND = "{http://soap.sforce.com/2005/09/outbound}"
SOAP_ENV = "{http://schemas.xmlsoap.org/soap/envelope/}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
MAX_NOTIFICATIONS = 100
SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")
MAX_FIELD_DEPTH = 8  # an sObject field, its related record, that one's related record, …
OBJECT_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")

ACK = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">
   <Ack>true</Ack>
  </notificationsResponse>
 </soapenv:Body>
</soapenv:Envelope>
"""

FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
 <soapenv:Body>
  <soapenv:Fault>
   <faultcode>soapenv:{code}</faultcode>
   <faultstring>{message}</faultstring>
  </soapenv:Fault>
 </soapenv:Body>
</soapenv:Envelope>
"""


class InvalidMessage(Exception):
    """The request is not an Outbound Message we can accept (answered with a SOAP fault)."""


@dataclass(frozen=True)
class Notification:
    id: str
    object_type: str
    object_id: str
    fields: dict[str, Any]
    # A record deleted in Salesforce arrives with its Id and nothing else.
    deleted: bool
    last_modified_at: datetime | None


@dataclass(frozen=True)
class OutboundMessage:
    organization_id: str
    action_id: str
    notifications: list[Notification] = field(default_factory=list)


def fault(message: str, *, code: str = "Client") -> str:
    return FAULT.format(code=code, message=escape(message))


def parse(body: bytes) -> OutboundMessage:
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise InvalidMessage(f"Not a well-formed XML message without DTD: {exc.__class__.__name__}") from exc
    message = root.find(f"{SOAP_ENV}Body/{OUTBOUND}notifications")
    if message is None:
        raise InvalidMessage("No Outbound Message (notifications element) in the SOAP body.")
    organization_id = _text(message, "OrganizationId")
    if not organization_id:
        raise InvalidMessage("The message carries no OrganizationId.")
    elements = message.findall(f"{OUTBOUND}Notification")
    if not 1 <= len(elements) <= MAX_NOTIFICATIONS:
        raise InvalidMessage(f"A message carries 1 to {MAX_NOTIFICATIONS} notifications, not {len(elements)}.")
    action_id = _text(message, "ActionId")
    if action_id and not SALESFORCE_ID.match(action_id):
        raise InvalidMessage("ActionId is not a Salesforce ID.")
    return OutboundMessage(
        organization_id=organization_id,
        action_id=action_id,
        notifications=[_notification(element) for element in elements],
    )


def same_organization(expected: str, received: str) -> bool:
    """Salesforce sends the 18-character ID; an admin may have entered the 15-character one
    (the 18-character form only appends a case checksum). Compared in constant time."""
    length = 15 if len(expected) == 15 else 18
    return hmac.compare_digest(expected[:length].encode(), received[:length].encode())


def _notification(element: Element) -> Notification:
    notification_id = _text(element, "Id")
    sobject = element.find(f"{OUTBOUND}sObject")
    if not notification_id or sobject is None:
        raise InvalidMessage("Every Notification needs an Id and an sObject.")
    fields = {_local(child.tag): _value(child) for child in sobject}
    object_id = fields.get("Id")
    if not isinstance(object_id, str) or not object_id:
        raise InvalidMessage(f"The sObject of notification {notification_id} has no Id.")
    if not SALESFORCE_ID.match(notification_id) or not SALESFORCE_ID.match(object_id):
        raise InvalidMessage(
            f"Notification {notification_id[:40]!r}: the notification and record Ids must be Salesforce IDs."
        )
    object_type = _local(sobject.get(f"{XSI}type") or "sObject").split(":")[-1]
    if not OBJECT_TYPE.match(object_type):
        raise InvalidMessage(f"Notification {notification_id}: {object_type[:40]!r} is not an object type.")
    last_modified = fields.get("LastModifiedDate")
    return Notification(
        id=notification_id,
        object_type=object_type,
        object_id=object_id,
        fields=fields,
        deleted=set(fields) == {"Id"},
        last_modified_at=_datetime(last_modified, notification_id),
    )


def _datetime(value: Any, notification_id: str) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidMessage(f"Notification {notification_id}: LastModifiedDate {value!r} is not a date and time.")
    return parsed


def _value(element: Element, level: int = 1) -> Any:
    if element.get(f"{XSI}nil") == "true":
        return None
    children = list(element)
    if children:  # a related record, e.g. <sf:Account><sf:Name>…</sf:Name></sf:Account>
        if level >= MAX_FIELD_DEPTH:
            raise InvalidMessage(f"An sObject field is nested more than {MAX_FIELD_DEPTH} levels deep.")
        return {_local(child.tag): _value(child, level + 1) for child in children}
    return (element.text or "").strip()


def _text(element: Element, name: str) -> str:
    child = element.find(f"{OUTBOUND}{name}")
    return (child.text or "").strip() if child is not None and child.get(f"{XSI}nil") != "true" else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
