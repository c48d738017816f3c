"""A memo that lives for one batch of work.

A worker executing a batch of runs, or sending a batch of mails, looks up the same
configuration again and again: the prepared message and its variants, the organization's
mail settings, whether anybody listens to *automation finished*. Inside `batch()` such
look-ups are made once; outside it, every call computes afresh. A change to the
configuration takes effect with the next batch (a batch lasts a second or so).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_memo: ContextVar[dict[Hashable, object] | None] = ContextVar("engage_batch_memo", default=None)


@contextmanager
def batch() -> Iterator[None]:
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or what it returned for `key` earlier in this batch."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[return-value]
