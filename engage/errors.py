"""The two kinds of failure every piece of work can end with.

A transient error (a timeout, SMTP 4xx, an ESP's 5xx or 429) is worth trying again later;
a permanent one (SMTP 5xx, an invalid address, a missing target) is not.
"""


class PermanentError(Exception):
    """Trying again will not help: fail now and say why."""


class TransientError(Exception):
    """Trying again later may help: back off and retry."""
