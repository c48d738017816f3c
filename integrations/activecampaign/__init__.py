"""ActiveCampaign: the job "start external automation" calls its API (client), and its
webhooks arrive at /inbound/activecampaign/<token>/ as EXTERNAL_NOTIFICATION events."""
