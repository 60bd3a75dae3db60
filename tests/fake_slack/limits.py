"""Slack's rate limits as token buckets: chat.postMessage per channel and per workspace (each
only when a test sets it), and Tier 3 for reading history and threads (always on).

An answer over the limit is a 429 whose Retry-After is whole seconds (at least 1), long enough
for every empty bucket to hold a token again, so a client that honours it is never refused twice.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

CHANNEL_BURST = 3  # token-bucket size for the optional per-channel rate limit
WORKSPACE_BURST = 10  # default token-bucket size for the optional workspace-wide rate limit

# Slack's Tier 3 (conversations.history, conversations.replies): about 50 calls a minute per
# method and workspace, with a burst of as many.
TIER3_PER_MINUTE = 50.0
TIER3_METHODS = frozenset({"conversations.history", "conversations.replies"})


@dataclass
class _Bucket:
    tokens: float
    updated: float


def _take(limits: list[tuple[_Bucket, float, float]], now: float) -> int | None:
    """Takes a token from every (bucket, rate per second, burst), or from none and returns the
    Retry-After."""
    for bucket, rate, burst in limits:
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
    empty = [(bucket, rate) for bucket, rate, _ in limits if bucket.tokens < 1]
    if empty:
        return max(max(1, math.ceil((1 - bucket.tokens) / rate)) for bucket, rate in empty)
    for bucket, _, _ in limits:
        bucket.tokens -= 1
    return None


class RateLimits:
    """The buckets of one workspace; ``clear`` gives every call its full burst back."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        per_channel_per_second: float | None,
        workspace_per_second: float | None,
        workspace_burst: int,
        tier3_per_minute: float,
    ) -> None:
        if per_channel_per_second is not None and per_channel_per_second <= 0:
            raise ValueError("per_channel_per_second must be positive")
        if workspace_per_second is not None and workspace_per_second <= 0:
            raise ValueError("workspace_per_second must be positive")
        if workspace_burst < 1:
            raise ValueError("workspace_burst must be at least 1")
        self._clock = clock
        self._per_channel_per_second = per_channel_per_second
        # chat.postMessage across every channel, as Slack limits a workspace's messages too.
        self._workspace_per_second = workspace_per_second
        self._workspace_burst = workspace_burst
        self._tier3_per_minute = tier3_per_minute
        self._channel_buckets: dict[str, _Bucket] = {}
        self._workspace_bucket: _Bucket | None = None
        self._tier3_buckets: dict[str, _Bucket] = {}

    def clear(self) -> None:
        self._channel_buckets.clear()
        self._workspace_bucket = None
        self._tier3_buckets.clear()

    def take_tier3(self, method: str) -> int | None:
        """A Tier 3 method's bucket: a call takes a token, or gets the seconds until one is back."""
        now = self._clock()
        rate = self._tier3_per_minute / 60
        burst = max(1.0, self._tier3_per_minute)
        bucket = self._tier3_buckets.setdefault(method, _Bucket(tokens=burst, updated=now))
        return _take([(bucket, rate, burst)], now)

    def take_post(self, channel: str) -> int | None:
        """chat.postMessage's buckets for `channel` (a resolved id, or "" when the call names
        none) and the workspace, each when set."""
        now = self._clock()
        limits: list[tuple[_Bucket, float, float]] = []
        if self._per_channel_per_second is not None and channel:
            bucket = self._channel_buckets.setdefault(channel, _Bucket(tokens=CHANNEL_BURST, updated=now))
            limits.append((bucket, self._per_channel_per_second, CHANNEL_BURST))
        if self._workspace_per_second is not None:
            if self._workspace_bucket is None:
                self._workspace_bucket = _Bucket(tokens=self._workspace_burst, updated=now)
            limits.append((self._workspace_bucket, self._workspace_per_second, self._workspace_burst))
        return _take(limits, now)
