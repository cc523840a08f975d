"""Idempotency-Key decisions: replay the same request, refuse a different one under the same key; the
record holds nothing readable without the key (its id, request digest and answer are all keyed)."""

import hashlib

import pytest

from gateway.idempotency import SECRET_BEARING, SECRET_KEY_MIN_LENGTH, UNRECORDED, KeyedRequest, keyed_request, replay
from services.common.errors import Conflict, Invalid

UNITS = ("POST", "/api/v1/units")
CAMPAIGNS = ("POST", "/api/v1/campaigns")
KEY = "k" * 30


def request_hash(method, path, body, key=KEY, scope="org"):
    return KeyedRequest(UNITS, scope, key).digest(method, path, body)


def test_same_request_same_hash_and_any_difference_changes_it():
    base = request_hash("POST", "/api/v1/units", b'{"code":"u"}')
    assert base == request_hash("POST", "/api/v1/units", b'{"code":"u"}')
    assert base != request_hash("POST", "/api/v1/units", b'{"code":"v"}')
    assert base != request_hash("POST", "/api/v1/posts", b'{"code":"u"}')


def test_the_digest_is_keyed_so_a_guessed_body_cannot_be_tested_against_it():
    body = b'{"code":"u"}'
    digest = request_hash("POST", "/api/v1/units", body)
    assert digest != hashlib.sha256(b"POST /api/v1/units\n" + body).hexdigest()
    assert digest != request_hash("POST", "/api/v1/units", body, key="another-key-of-30-characters!!")
    assert digest != request_hash("POST", "/api/v1/units", body, scope="audit")


def test_the_record_id_is_neither_the_key_nor_the_same_for_two_principals():
    mine, theirs = KeyedRequest(UNITS, "org", KEY), KeyedRequest(UNITS, "audit", KEY)
    assert KEY not in mine.lookup and mine.lookup != theirs.lookup
    assert mine.lookup != mine.service_keys[0]  # the service files it under another id


def test_a_kept_answer_is_sealed_and_opens_only_with_its_key():
    mine = KeyedRequest(UNITS, "org", KEY)
    sealed = mine.seal('{"tokens": ["secret-token"]}')
    assert "secret-token" not in sealed
    assert KeyedRequest(UNITS, "org", KEY).unseal(sealed) == '{"tokens": ["secret-token"]}'
    with pytest.raises(Conflict):
        KeyedRequest(UNITS, "audit", KEY).unseal(sealed)


def test_a_secret_bearing_route_needs_a_key_of_at_least_22_characters():
    assert CAMPAIGNS in SECRET_BEARING and SECRET_KEY_MIN_LENGTH == 22
    with pytest.raises(Invalid) as info:
        KeyedRequest(CAMPAIGNS, "org", "k" * 21)
    assert "Idempotency-Key" in info.value.errors
    KeyedRequest(CAMPAIGNS, "org", "k" * 22)
    KeyedRequest(UNITS, "org", "k")  # other routes take any key of 1-200 characters
    with pytest.raises(Invalid):
        KeyedRequest(UNITS, "org", "k" * 201)


@pytest.mark.parametrize("route", sorted(UNRECORDED))
def test_ballots_and_objections_ignore_the_header(route):
    assert keyed_request(route, "public", KEY) is None
    assert keyed_request(UNITS, "org", None) is None


def test_same_request_with_a_stored_answer_is_replayed():
    replay(True, 201)  # no exception: replay


def test_different_request_is_idempotency_mismatch():
    with pytest.raises(Conflict) as info:
        replay(False, 201)
    assert info.value.code == "idempotency_mismatch"


def test_first_request_still_running_is_a_conflict_not_a_second_effect():
    with pytest.raises(Conflict) as info:
        replay(True, None)
    assert (info.value.code, info.value.detail) == (
        "conflict",
        "the first request with this Idempotency-Key is still running",
    )


def test_a_claim_is_abandoned_only_past_the_rpc_deadline_and_a_margin(monkeypatch):
    from datetime import timedelta

    from gateway.idempotency import _abandoned
    from services.common.clock import utcnow

    monkeypatch.setenv("RPC_TIMEOUT_SECONDS", "5")
    assert not _abandoned(utcnow() - timedelta(seconds=9))
    assert _abandoned(utcnow() - timedelta(seconds=11))
    assert _abandoned((utcnow() - timedelta(seconds=11)).replace(tzinfo=None))  # stored without offset
