"""Idempotency-Key decisions: replay the same request, refuse a different one under the same key."""
import pytest

from gateway.idempotency import replay, request_hash
from services.common.errors import Conflict


def test_same_request_same_hash_and_any_difference_changes_it():
    base = request_hash("POST", "/api/v1/units", b'{"code":"u"}')
    assert base == request_hash("POST", "/api/v1/units", b'{"code":"u"}')
    assert base != request_hash("POST", "/api/v1/units", b'{"code":"v"}')
    assert base != request_hash("POST", "/api/v1/posts", b'{"code":"u"}')


def test_same_request_with_a_stored_answer_is_replayed():
    digest = request_hash("POST", "/x", b"{}")
    replay(digest, 201, digest)  # no exception: replay


def test_different_request_is_idempotency_mismatch():
    with pytest.raises(Conflict) as info:
        replay(request_hash("POST", "/x", b"1"), 201, request_hash("POST", "/x", b"2"))
    assert info.value.code == "idempotency_mismatch"


def test_first_request_still_running_is_a_conflict_not_a_second_effect():
    digest = request_hash("POST", "/x", b"{}")
    with pytest.raises(Conflict):
        replay(digest, None, digest)


def test_a_claim_is_abandoned_only_past_the_rpc_deadline_and_a_margin(monkeypatch):
    from datetime import timedelta

    from gateway.idempotency import _abandoned
    from services.common.envelope import utcnow

    monkeypatch.setenv("RPC_TIMEOUT_SECONDS", "5")
    assert not _abandoned(utcnow() - timedelta(seconds=9))
    assert _abandoned(utcnow() - timedelta(seconds=11))
    assert _abandoned((utcnow() - timedelta(seconds=11)).replace(tzinfo=None))  # stored without offset
