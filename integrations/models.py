"""Inbound integrations: where other systems tell Engage that something happened.

Each connection or endpoint belongs to one organization and is addressed by a secret URL
token; what arrives is stored before it is acknowledged and becomes an event of that
organization (SALESFORCE_MESSAGE or EXTERNAL_NOTIFICATION).

Every integration keeps its models in its own package; they are imported here so that
Django finds them (all of them belong to the app `integrations`).
"""

from integrations.activecampaign.models import (
    ActiveCampaignConnection,
    Activity,
    ContactSync,
    FieldMapping,
    ListMapping,
    PlanningType,
    RateBucket,
    Resync,
)
from integrations.common.models import InboundNotification, Received, new_token
from integrations.salesforce.models import SalesforceConnection, SalesforceNotification, SalesforceRecord
from integrations.webhooks.models import WebhookEndpoint, WebhookSecret

__all__ = [
    "ActiveCampaignConnection",
    "Activity",
    "ContactSync",
    "FieldMapping",
    "InboundNotification",
    "ListMapping",
    "PlanningType",
    "RateBucket",
    "Received",
    "Resync",
    "SalesforceConnection",
    "SalesforceNotification",
    "SalesforceRecord",
    "WebhookEndpoint",
    "WebhookSecret",
    "new_token",  # the default of the URL tokens, named so in the migrations
]
