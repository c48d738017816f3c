from api.credentials import purge_expired_tokens
from api.idempotency import purge_idempotency_records
from api.ratecount import purge_rate_counts


def purge_api_records() -> None:
    """Hourly: forget Idempotency-Keys older than their retention, expired access tokens and
    the request counts of past minutes."""
    purge_idempotency_records()
    purge_expired_tokens()
    purge_rate_counts()
