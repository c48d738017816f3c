"""The directory and invitation jobs, one module per job kind (named by its key)."""
