"""Salesforce: the Outbound Messages a Salesforce org sends to /inbound/salesforce/<token>/,
each notification stored once and fired as a SALESFORCE_MESSAGE event."""
