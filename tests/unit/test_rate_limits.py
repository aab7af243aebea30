"""Token buckets: one second's worth of burst, then the rate; the wait they report is the time
until the next request may pass."""

from __future__ import annotations

import pytest

from wbserver.api.rate_limits import RateLimits, TokenBuckets, project_named
from wbserver.config import Settings
from wbserver.domain.models import RunKey
from wbserver.errors import RateLimited


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_one_seconds_worth_then_the_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(clock)
    assert [buckets.take("k", 4.0) for _ in range(4)] == [0.0] * 4
    assert buckets.take("k", 4.0) == pytest.approx(0.25)
    clock.now += 0.25
    assert buckets.take("k", 4.0) == 0.0
    assert buckets.take("other", 4.0) == 0.0  # keys do not share


def test_a_slow_rate_waits_seconds_and_no_limit_never_waits() -> None:
    clock = Clock()
    buckets = TokenBuckets(clock)
    assert buckets.take("k", 0.1) == 0.0
    assert buckets.take("k", 0.1) == pytest.approx(10.0)
    clock.now += 4.0
    assert buckets.take("k", 0.1) == pytest.approx(6.0)  # a refused request takes nothing
    assert all(buckets.take("k", 0.0) == 0.0 for _ in range(1000))


def test_only_so_many_keys_are_remembered() -> None:
    buckets = TokenBuckets(Clock(), max_keys=10)
    for i in range(100):
        buckets.take(i, 1.0)
    assert len(buckets._buckets) == 10


def test_the_error_carries_whole_seconds() -> None:
    clock = Clock()
    limits = RateLimits(TokenBuckets(clock))
    settings = Settings(rate_limit_run=0.4)
    key = RunKey("alice", "proj", "r1")
    limits.file_stream(settings, key)
    with pytest.raises(RateLimited) as caught:
        limits.file_stream(settings, key)
    assert caught.value.retry_after == 3  # 2.5 s, rounded up
    assert "alice/proj/r1" in caught.value.message


def test_the_project_a_graphql_request_names() -> None:
    assert project_named({"project": "p", "entity": "e"}) == ("e", "p")
    assert project_named({"projectName": "p", "entityName": "e"}) == ("e", "p")
    assert project_named({"input": {"projectName": "p", "entityName": "e"}}) == ("e", "p")
    assert project_named({"project": "p", "entity": None}) == ("", "p")
    assert project_named({"name": "run"}) is None
    assert project_named({"project": ["not", "a", "name"]}) is None
