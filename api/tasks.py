from api.credentials import purge_expired_tokens
from api.idempotency import purge_idempotency_records


def purge_api_records() -> None:
    """Hourly: forget Idempotency-Keys older than their retention and expired access tokens."""
    purge_idempotency_records()
    purge_expired_tokens()
