"""Two gateway replicas behind one address hold the limits one gateway holds (API.md "Conventions"):
a client's public-POST rate and its refused-ballot count are shared, so alternating between replicas buys
no extra requests. (A revoked token refused by both: tests/cluster, test_a_revoked_token_is_refused_by_both_gateways.)"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.harness import ReplicatedSuite, client

RATE, BURST = 0.5, 6  # public POSTs: one every 2 s, six at once
REFUSALS_PER_MINUTE = 6  # refused ballots a client may send a minute


@pytest.fixture(scope="module")
def suite():
    running = ReplicatedSuite(
        ("gateway",),
        PUBLIC_RATE_PER_SECOND=RATE,
        PUBLIC_RATE_BURST=BURST,
        BALLOT_REFUSALS_PER_MINUTE=REFUSALS_PER_MINUTE,
    )
    try:
        yield running.start()
    finally:
        running.stop()


def alternating(suite, address, path, body, n):
    """``n`` POSTs from one client address, to the two gateways in turn: (gateway index, response) each."""
    sessions = client(address)
    started, answers = time.monotonic(), []
    for i in range(n):
        answers.append((i % 2, sessions.post(suite.bases[i % 2] + path, json=body, timeout=30)))
    return answers, time.monotonic() - started


def test_both_gateways_are_up_and_distinct(suite):
    assert len(suite.bases) == 2 and suite.bases[0] != suite.bases[1]
    assert all(requests.get(base + "/health", timeout=10).status_code == 200 for base in suite.bases)


def test_the_public_rate_is_one_budget_across_both_gateways(suite):
    answers, elapsed = alternating(
        suite, "127.0.0.21", "/api/v1/notices/no-such-notice/objections", {"content": "a concern"}, 3 * BURST
    )
    allowed = [r for _, r in answers if r.status_code != 429]
    refused = [(g, r) for g, r in answers if r.status_code == 429]
    # what one gateway would allow in this time; two independent budgets would allow twice the burst
    assert BURST <= len(allowed) <= BURST + RATE * elapsed + 1, [r.status_code for _, r in answers]
    assert {g for g, _ in refused} == {0, 1}, "each gateway refuses once the shared budget is spent"
    assert all(r.json()["code"] == "rate_limited" and int(r.headers["Retry-After"]) >= 1 for _, r in refused)
    # another client has its own budget on either gateway
    other = client("127.0.0.22")
    assert (
        other.post(
            suite.bases[1] + "/api/v1/notices/no-such-notice/objections", json={"content": "x"}, timeout=30
        ).status_code
        != 429
    )


def test_refused_ballots_count_once_across_both_gateways(suite):
    answers, elapsed = alternating(
        suite, "127.0.0.23", "/api/v1/ballots", {"token": "z" * 24, "choices": []}, 2 * REFUSALS_PER_MINUTE + 2
    )
    codes = [r.json()["code"] for _, r in answers]
    refusals = [c for c in codes if c != "rate_limited"]
    assert set(refusals) <= {"invalid_token"}, codes
    assert len(refusals) <= REFUSALS_PER_MINUTE + REFUSALS_PER_MINUTE / 60 * elapsed + 1, codes
    assert {g for g, r in answers if r.status_code == 429} == {0, 1}, codes


def test_requests_racing_on_one_bucket_all_count_and_none_is_refused_early(suite):
    """A burst sent at once, from one address, half to each gateway: the burst is allowed, not fewer (no request
    loses a race on the shared bucket and is refused for it), and not more."""
    sessions = [client("127.0.0.24") for _ in range(2)]
    path = "/api/v1/notices/no-such-notice/objections"

    def post(i):
        return sessions[i % 2].post(suite.bases[i % 2] + path, json={"content": "x"}, timeout=30).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(2 * BURST) as pool:
        statuses = list(pool.map(post, range(2 * BURST)))
    elapsed = time.monotonic() - started
    allowed = [s for s in statuses if s != 429]
    assert BURST <= len(allowed) <= BURST + RATE * elapsed + 1, statuses
