"""Signed webhooks (Standard Webhooks): endpoints another system posts notifications to,
at /inbound/webhooks/<token>/, each verified against the endpoint's signing secrets and
fired as an EXTERNAL_NOTIFICATION event."""
