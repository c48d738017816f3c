"""What several integrations share: the URL token of an inbound address, the fields of every
received notification, the notification table of signed webhooks and ActiveCampaign, the
helpers of the inbound endpoints and the personal token of an invitation link."""
