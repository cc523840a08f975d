"""When the gateway's database does not answer, each replica still limits on its own: a flood is not let
through because the shared buckets are out of reach, and nothing fails with a 500."""

import pytest
from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

from gateway import limits
from gateway.models import RateBucket


class Unreachable:
    """A collection whose every command fails as pymongo fails when the database is away."""

    def __init__(self, error):
        self.error, self.calls = error, 0

    def __getattr__(self, name):
        def command(*args, **kwargs):
            self.calls += 1
            raise self.error

        return command


@pytest.mark.parametrize("error", [ServerSelectionTimeoutError("no primary"), AutoReconnect("reset")])
def test_with_the_database_away_a_replica_allows_the_burst_then_refuses(monkeypatch, error):
    away = Unreachable(error)
    monkeypatch.setattr(RateBucket, "_get_collection", classmethod(lambda cls: away))
    limiter = limits.SharedRateLimiter("ballots", rate_per_sec=1, burst=3, secret=lambda: b"k" * 32)
    answers = [limiter.check("10.0.0.1", 1_000.0) for _ in range(4)]
    assert [allowed for allowed, _ in answers] == [True, True, True, False]
    assert answers[-1][1] > 0  # the refused one is told how long to wait
    assert away.calls == 4  # it tried the shared bucket each time before falling back
    # another client keeps its own budget on this replica
    assert limiter.check("10.0.0.2", 1_000.0)[0] is True
