"""Token-bucket rate limiter: burst, refill, retry-after, per-key isolation, bounded memory, threads."""

import threading

import pytest

from hypothesis import given, settings, strategies as st

from services.common.ratelimit import RateLimiter, cell_rate, retry_after_header


def test_burst_then_refused_with_retry_after():
    limiter = RateLimiter(rate_per_sec=2, burst=3)
    assert [limiter.check("a", 100.0) for _ in range(3)] == [(True, 0.0)] * 3
    allowed, retry = limiter.check("a", 100.0)
    assert allowed is False
    assert retry == pytest.approx(0.5)


def test_tokens_refill_at_rate_and_cap_at_burst():
    limiter = RateLimiter(rate_per_sec=1, burst=2)
    limiter.check("a", 0.0)
    limiter.check("a", 0.0)
    assert limiter.check("a", 0.4) == (False, pytest.approx(0.6))
    assert limiter.check("a", 1.0)[0] is True
    assert limiter.check("a", 1.0)[0] is False
    # a long idle period refills only up to burst
    assert [limiter.check("a", 1000.0)[0] for _ in range(3)] == [True, True, False]


def test_refused_requests_spend_nothing():
    limiter = RateLimiter(rate_per_sec=1, burst=1)
    limiter.check("a", 0.0)
    for t in (0.1, 0.2, 0.3, 0.9):
        assert limiter.check("a", t)[0] is False
    assert limiter.check("a", 1.0)[0] is True


def test_keys_are_independent():
    limiter = RateLimiter(rate_per_sec=1, burst=1)
    assert limiter.check("a", 0.0)[0] is True
    assert limiter.check("a", 0.0)[0] is False
    assert limiter.check("b", 0.0)[0] is True


def test_clock_going_back_mints_no_tokens():
    limiter = RateLimiter(rate_per_sec=1, burst=1)
    limiter.check("a", 10.0)
    assert limiter.check("a", 5.0)[0] is False
    assert limiter.check("a", 10.5)[0] is False
    assert limiter.check("a", 11.0)[0] is True


def test_cost_is_spent_and_bounded_by_burst():
    limiter = RateLimiter(rate_per_sec=1, burst=5)
    assert limiter.check("a", 0.0, cost=4)[0] is True
    assert limiter.check("a", 0.0, cost=2) == (False, pytest.approx(1.0))
    with pytest.raises(ValueError):
        limiter.check("a", 0.0, cost=6)


def test_idle_full_buckets_are_evicted():
    limiter = RateLimiter(rate_per_sec=1, burst=2)  # full again 2 s after last use
    for i in range(100):
        limiter.check(f"k{i}", 0.0)
    assert len(limiter) == 100
    limiter.check("fresh", 1.9)
    assert len(limiter) == 101
    limiter.check("fresh", 2.0)
    assert len(limiter) == 1


def test_memory_bounded_when_all_keys_active():
    limiter = RateLimiter(rate_per_sec=1, burst=1, max_keys=10)
    for i in range(1000):
        limiter.check(f"k{i}", 0.0)
        assert len(limiter) <= 10
    # the most recent keys are the ones kept, and still limited
    assert limiter.check("k999", 0.0)[0] is False


def test_thread_safe_exactly_burst_allowed():
    limiter = RateLimiter(rate_per_sec=0.001, burst=50)
    results = []
    lock = threading.Lock()

    def worker():
        mine = [limiter.check("shared", 0.0)[0] for _ in range(100)]
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 50
    assert len(results) == 800


def test_construction_is_validated():
    for kwargs in (
        {"rate_per_sec": 0, "burst": 1},
        {"rate_per_sec": 1, "burst": 0},
        {"rate_per_sec": 1, "burst": 1, "max_keys": 0},
    ):
        with pytest.raises(ValueError):
            RateLimiter(**kwargs)


def test_retry_after_header_rounds_up_to_whole_seconds():
    assert retry_after_header(0.01) == "1"
    assert retry_after_header(0.0) == "1"
    assert retry_after_header(1.0) == "1"
    assert retry_after_header(2.2) == "3"


# --- what a mutation run showed no test pinned down (docs/TESTING.md)


def test_refill_follows_a_rate_other_than_one():
    limiter = RateLimiter(rate_per_sec=4, burst=2)
    assert limiter.check("k", 0.0) == (True, 0.0) and limiter.check("k", 0.0) == (True, 0.0)
    assert limiter.check("k", 0.0) == (False, 0.25)
    assert limiter.check("k", 0.25) == (True, 0.0)  # 0.25 s at 4 a second is one token
    assert limiter.check("k", 0.25)[0] is False


def test_a_bucket_is_kept_until_it_would_have_refilled():
    limiter = RateLimiter(rate_per_sec=4, burst=2)  # refills from empty in 0.5 s
    limiter.check("k", 0.0)
    limiter.check("other", 0.49)
    assert len(limiter) == 2
    limiter.check("other", 0.5)
    assert len(limiter) == 1


def test_exactly_max_keys_active_clients_are_all_remembered():
    limiter = RateLimiter(rate_per_sec=1, burst=1, max_keys=3)
    for key in ("a", "b", "c"):
        limiter.check(key, 0.0)
    assert len(limiter) == 3
    assert limiter.check("a", 0.0)[0] is False  # still remembered as spent


def test_costs_and_settings_are_named_when_wrong():
    limiter = RateLimiter(rate_per_sec=1, burst=2)
    with pytest.raises(ValueError, match="^cost must be positive and at most burst$"):
        limiter.check("k", 0.0, cost=0)
    for kwargs, message in [
        (dict(rate_per_sec=0, burst=1), "rate_per_sec must be positive"),
        (dict(rate_per_sec=1, burst=0.5), "burst must be at least 1"),
        (dict(rate_per_sec=1, burst=1, max_keys=0), "max_keys must be at least 1"),
    ]:
        with pytest.raises(ValueError, match=f"^{message}$"):
            RateLimiter(**kwargs)
    assert len(RateLimiter(rate_per_sec=1, burst=1, max_keys=1)) == 0


# --- the same bucket as one number (what replicas share) ----------------------------------------


def replay(rate, burst, times):
    """The answers of RateLimiter and of cell_rate to the same requests from one client."""
    limiter, tat, mine, theirs = RateLimiter(rate, burst), None, [], []
    for now in times:
        allowed, retry_after = limiter.check("c", now)
        theirs.append((allowed, round(retry_after, 6)))
        ok, wait, tat = cell_rate(tat, now, rate, burst)
        mine.append((ok, round(wait, 6)))
    return mine, theirs


def test_cell_rate_allows_the_burst_at_once_then_one_per_interval():
    mine, _ = replay(5, 20, [0.0] * 21 + [0.2, 0.2])
    assert [ok for ok, _ in mine] == [True] * 20 + [False, True, False]
    assert mine[20] == (False, 0.2)


def test_cell_rate_refused_requests_spend_nothing():
    tat = None
    for now in (0.0, 0.0):
        _, _, tat = cell_rate(tat, now, 1, 2)
    assert cell_rate(tat, 0.5, 1, 2) == (False, 0.5, tat)  # refused: tat unchanged
    assert cell_rate(tat, 1.0, 1, 2)[0] is True


@settings(max_examples=300, deadline=None)
@given(rate=st.floats(0.1, 50), burst=st.integers(1, 30), gaps=st.lists(st.floats(0, 2), min_size=1, max_size=60))
def test_cell_rate_answers_as_the_token_bucket(rate, burst, gaps):
    times, now = [], 0.0
    for gap in gaps:
        now += gap
        times.append(now)
    mine, theirs = replay(rate, burst, times)
    assert [ok for ok, _ in mine] == [ok for ok, _ in theirs]
    assert all(abs(a[1] - b[1]) < 1e-4 for a, b in zip(mine, theirs))


def test_a_cell_rate_wait_of_a_billionth_of_a_second_is_a_rounding_error_not_a_refusal():
    # burst 1: no tolerance; the client is due 1e-9 s from now, which sums of floats can leave behind
    assert cell_rate(1e-9, 0.0, 1, 1) == (True, 0.0, 1e-9 + 1.0)
    assert cell_rate(2e-9, 0.0, 1, 1) == (False, 2e-9, 2e-9)


def test_a_request_exactly_one_interval_later_is_allowed_despite_float_rounding():
    from services.common.ratelimit import RateLimiter

    limiter = RateLimiter(rate_per_sec=1, burst=1)
    first = 1.3608774852945313  # (first + 1.0) - first == 0.9999999999999998
    assert limiter.check("client", first) == (True, 0.0)
    assert limiter.check("client", first + 1.0) == (True, 0.0)
    assert limiter.check("client", first + 1.0)[0] is False


def test_the_rounding_tolerance_is_that_much_elapsed_time_at_any_rate_and_no_more():
    from services.common.ratelimit import ROUNDING_SECONDS, RateLimiter

    early, too_early = RateLimiter(rate_per_sec=2, burst=1), RateLimiter(rate_per_sec=2, burst=1)
    for limiter in (early, too_early):
        assert limiter.check("client", 0.0) == (True, 0.0)
    # the next token is due at 0.5 s: a request one rounding error earlier is on time, one of two is not
    assert early.check("client", 0.5 - ROUNDING_SECONDS) == (True, 0.0)
    allowed, retry_after = too_early.check("client", 0.5 - 2 * ROUNDING_SECONDS)
    assert allowed is False and retry_after == pytest.approx(2 * ROUNDING_SECONDS)
