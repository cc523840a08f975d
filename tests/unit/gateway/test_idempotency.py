"""What the gateway passes a service for an Idempotency-Key: the record's id, the answer's secret and a keyed
digest of the request, none of them the key or readable without it (the service decides: test_applied.py)."""

import hashlib

import pytest

from gateway.idempotency import SECRET_BEARING, SECRET_KEY_MIN_LENGTH, UNRECORDED, KeyedRequest, keyed_request
from services.common import applied
from services.common.errors import Invalid

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
    assert KEY not in mine.record + mine.answer_key and mine.record != theirs.record
    assert (mine.record, mine.answer_key) == applied.request_keys("org", KEY)  # the service's own record


def test_the_rpc_carries_the_record_id_the_answer_secret_and_the_digest_never_the_key():
    mine = KeyedRequest(UNITS, "org", KEY)
    record, answer_key, digest = mine.context("POST", "/api/v1/units", b'{"code":"u"}')
    assert (record, answer_key) == applied.request_keys("org", KEY)
    assert digest == request_hash("POST", "/api/v1/units", b'{"code":"u"}')
    assert KEY not in record + answer_key + digest


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
