"""The jobs that call ActiveCampaign, one module per job kind (named by its key)."""
