"""The ballot box of a secret-ballot session: keyed hashes of its unused tokens dealt into bucket
documents, a cast as ONE atomic update of one bucket (a token is spent if and only if its ballot is
stored), the voter's receipt (tracker) kept in sorted sets apart from the ballots, and the close that
seals every bucket and tracker set and reads the ballots for the tally. No record links a token to a
voter, nor a tracker to a token, a ballot or a time; the tokens exist only in the answer that opens
the session."""

import random
import secrets
import time

from pymongo.errors import DuplicateKeyError

from services.common import retry
from services.common.copies import LastWritten
from services.common.errors import CadreError, Conflict, Invalid, NotFound
from services.common.facts import Remembered
from services.nomination import store
from services.nomination.domain import ballots as ballot_rules
from services.nomination.domain.stages import Stage
from services.nomination.models import (
    BallotBucket,
    BallotSession,
    BallotTrackerSet,
    Cadre,
    Selection,
    UsedToken,
    new_id,
)

PAD = "pad"
# Where tokens, trackers and the deal into buckets draw their randomness: the system's CSPRNG.
CHANCE = secrets.SystemRandom()


def issue(session_id, electorate):
    """A new session's single-use tokens, their keyed hashes dealt at random into its buckets. The
    tokens themselves are returned only: nothing keeps them."""
    tokens = ballot_rules.issue_tokens(electorate, session=session_id, rng=CHANCE, key=store.ballot_key())
    hashes = ballot_rules.token_hashes(tokens, store.ballot_key())
    BallotBucket._get_collection().insert_many(
        [
            {"_id": new_id(), "session": session_id, "bucket": n, "closed": False, "unused": dealt, "ballots": []}
            for n, dealt in enumerate(ballot_rules.deal_buckets(hashes, rng=CHANCE))
        ]
    )
    BallotTrackerSet._get_collection().insert_many(
        [_tracker_set(session_id, shard) for shard in ballot_rules.TRACKER_SHARDS]
    )
    return tokens


def load_session(session_id):
    session = BallotSession.objects(id=session_id).first()
    if session is None:
        raise NotFound(f"no ballot session {session_id!r}")
    return session


def terms(session):
    """A stored session's terms, as the rules take them."""
    return ballot_rules.SessionTerms(session.kind, session.electorate, session.seats, tuple(session.candidates))


def form(token):
    """What a token holder may see before casting: the session's seats and its candidates' names."""
    session = admit(token)
    return {"session": session["_id"], "seats": session["seats"], "candidates": candidates(session["candidates"])}


def candidates(codes):
    """``[{code, name}]`` of a session's candidates, in the session's order (a name unknown reads as its code)."""
    names = {cadre.code: cadre.name for cadre in Cadre.objects(code__in=list(codes)).only("code", "name")}
    return [{"code": code, "name": names.get(code, code)} for code in codes]


def receipt(tracker):
    """``{session, counted}`` for a voter's tracker: that the ballot was counted, never how it was cast."""
    if not ballot_rules.is_tracker(tracker):
        raise Invalid({"tracker": ["must be 32 lowercase hexadecimal characters"]})
    session_id = find_tracker(tracker)
    session = BallotSession.objects(id=session_id).only("id", "tallied").first() if session_id else None
    if session is None:
        raise NotFound("no ballot has this tracker")
    return {"session": session.id, "counted": bool(session.tallied)}


def board(session_id):
    """The closed session's board: its trackers, its ballots, the tally's results, and the candidates by
    name (so a reader of the board sees people, not codes)."""
    session = load_session(session_id)
    ballot_rules.check_board(tallied=session.tallied)
    published = ballot_rules.board(read_ballots(session_id), read_trackers(session_id), terms=terms(session))
    return {
        "session": session_id,
        **published,
        "results": (session.result or {}).get("results", []),
        "candidates": candidates(session.candidates),
    }


def _tracker_set(session_id, shard, trackers=(), closed=False):
    return {
        "_id": f"{session_id}:{shard}",
        "session": session_id,
        "shard": shard,
        "trackers": sorted(trackers),
        "spare": [],
        "closed": closed,
        "version": 0,
    }


def admit(token):
    """The session a token may vote in, or raise the rule that refuses it (unknown, used, closed).
    Changes nothing: what the ballot page asks before it shows the candidates."""
    session = _session_of(token)
    return _check_open(_bucket_of(token, session))


# What a session's tokens are checked against, found once per process: the selection it belongs to and
# whether its tokens carry tags. Both are set when it opens and never change.
_SESSIONS = Remembered()


def _session_of(token):
    """``{id, selection, tagged}`` of the session ``token`` names, or 403 ``invalid_token`` when it names
    none, or when that session's tokens carry tags and this one's is not the ballot key's (no database
    read: a forged or mistyped token costs nothing but the check)."""
    session_id = ballot_rules.session_of_token(token)
    session = _SESSIONS.get(session_id, lambda: _find_session(session_id)) if session_id else None
    if session is None or (session["tagged"] and not ballot_rules.token_is_issued(token, store.ballot_key())):
        ballot_rules.check_ballot(token_known=False, token_used=False, session_closed=False)
    return session


def _find_session(session_id):
    found = BallotSession._get_collection().find_one({"_id": session_id}, {"selection": 1, "tagged_tokens": 1})
    if found is None:
        return None
    return {"id": session_id, "selection": found["selection"], "tagged": bool(found.get("tagged_tokens"))}


def _bucket_of(token, session):
    """The open or closed bucket holding the token unused, or the refusal of a token no bucket holds: cast
    (a tagged token, or one whose hash a cast marked used) or never issued."""
    digest = ballot_rules.token_hash(token, store.ballot_key())
    # the token names its session; which of the session's buckets holds it is found by looking
    # (an index on ``unused`` would do, but the embedded test database answers nothing through one)
    bucket = BallotBucket._get_collection().find_one(
        {"session": session["id"], "unused": digest}, {"session": 1, "closed": 1}
    )
    if bucket is None:
        cast = session["tagged"] or UsedToken._get_collection().find_one({"_id": digest}, {"_id": 1}) is not None
        ballot_rules.check_ballot(token_known=cast, token_used=cast, session_closed=False)
    return bucket


def _check_open(bucket):
    """The session the bucket belongs to, once the casting rules admit a ballot to it (what the form shows)."""
    session = BallotSession._get_collection().find_one(
        {"_id": bucket["session"]}, {"closed": 1, "selection": 1, "seats": 1, "candidates": 1}
    )
    _check_stage(session["selection"], closed=bool(session.get("closed") or bucket.get("closed")))
    return session


def _check_stage(selection_id, closed):
    selection = Selection._get_collection().find_one({"_id": selection_id}, {"stage": 1})
    ballot_rules.check_ballot(
        token_known=True,
        token_used=False,
        session_closed=closed,
        stage=selection["stage"] if selection else Stage.CLOSED,
    )


def cast(token, choices, tracker=None):
    """Store one ballot under its token and return the voter's tracker, or raise the rule that refuses
    it (unknown, used, closed).

    ``tracker``: the receipt the gateway drew for this request, carried in the request itself so that a
    redelivery of it (the replica that cast was killed before it answered) names the same receipt: the
    redelivery finds the token spent and ITS tracker stored, and answers that receipt again instead of
    ``token_used``. Another request with the spent token names another tracker and hears ``token_used``."""
    try:
        return _cast(token, choices, tracker)
    except Conflict as refused:
        if refused.code == "token_used" and _cast_by_this_request(token, tracker):
            return tracker
        raise


def _cast(token, choices, tracker):
    """The casting rules, then the cast. The bucket's ``closed`` is the one that counts: the close marks the
    session, then its buckets, and reads the ballots only after, so a cast in between is counted."""
    session = _session_of(token)
    digest = ballot_rules.token_hash(token, store.ballot_key())
    if session["tagged"]:
        # the tag says the token was issued, so a hash gone from ``unused`` was cast: no mark is needed,
        # and the bucket is looked up only when the stage refuses (the token's own refusals come first)
        try:
            _check_stage(session["selection"], closed=False)
        except CadreError:
            bucket = _bucket_of(token, session)
            ballot_rules.check_ballot(token_known=True, token_used=False, session_closed=bool(bucket.get("closed")))
            raise
    else:
        # a session opened before tokens carried tags: known by its bucket, and marked used BEFORE the
        # cast, so that a hash gone from ``unused`` is always marked and a racing or redelivered attempt
        # that finds it gone hears token_used. Killed after the mark and before the cast, the token is
        # still unused and a retry casts it (the mark alone spends nothing).
        bucket = _bucket_of(token, session)
        _check_stage(session["selection"], closed=bool(bucket.get("closed")))
        try:
            UsedToken._get_collection().insert_one({"_id": digest})
        except DuplicateKeyError:
            pass
    return _store_ballot(session["id"], digest, ballot_rules.encode_choices(choices), tracker)


def _store_ballot(session_id, digest, stored, tracker):
    buckets, unused = BallotBucket._get_collection(), {"session": session_id, "unused": digest}

    def attempt():
        # THE cast: one atomic update of the one bucket that holds the hash, so the token is spent iff the
        # ballot is stored; a closed bucket refuses, and a racing attempt on the same token finds it gone
        if buckets.update_one(
            {**unused, "closed": False}, {"$pull": {"unused": digest}, "$push": {"ballots": stored}}
        ).matched_count:
            # the ballot is in; only now its receipt (a tracker stored without a ballot could not be
            # told apart from the others, a ballot without a tracker is made good by the close)
            return _receipt(session_id, tracker)
        still = buckets.find_one(unused, {"closed": 1})
        ballot_rules.refuse_cast(
            in_unused=still is not None, bucket_closed=bool(still and still.get("closed")), marked_used=True
        )
        return None  # lost a race with nothing that refuses it: again

    return retry.until_written(
        attempt, 3, gave_up=RuntimeError("a ballot bucket refused an open, unused token three times")
    )


def seal(session_id):
    """Close the session, every bucket and every tracker set; returns its ballots (decoded), all final.

    Once every bucket is closed no cast can succeed, and every cast that did is already in its bucket
    (admission and storage are one update): nothing to wait for. A close killed half-way is simply
    called again; casts meanwhile land in the still-open buckets and are counted.
    """
    BallotSession.objects(id=session_id).update_one(set__closed=True)
    buckets = BallotBucket._get_collection()
    buckets.update_many({"session": session_id}, {"$set": {"closed": True}})
    ballots = read_ballots(session_id)
    _close_trackers(session_id, len(ballots))
    return ballots


def read_ballots(session_id):
    return [
        ballot_rules.decode_choices(stored)
        for bucket in BallotBucket._get_collection().find({"session": session_id}, {"ballots": 1, "_id": 0})
        for stored in bucket.get("ballots", [])
    ]


def read_trackers(session_id):
    return [
        tracker
        for tracker_set in BallotTrackerSet._get_collection().find({"session": session_id}, {"trackers": 1, "_id": 0})
        for tracker in tracker_set.get("trackers", [])
    ]


def find_tracker(tracker):
    """The session whose tracker sets hold ``tracker``, or None."""
    found = BallotTrackerSet._get_collection().find_one({"trackers": tracker}, {"session": 1})
    return found["session"] if found else None


def _cast_by_this_request(token, tracker):
    """Whether a spent token was cast by an earlier delivery of this very request, which never answered:
    the tracker it carries is stored in the token's session."""
    return ballot_rules.is_tracker(tracker) and _holds(ballot_rules.session_of_token(token), tracker)


def _holds(session_id, tracker):
    """Whether the session's tracker sets hold ``tracker``."""
    found = BallotTrackerSet._get_collection().find_one(
        {"_id": f"{session_id}:{ballot_rules.tracker_shard(tracker)}", "trackers": tracker}, {"_id": 1}
    )
    return found is not None


def _receipt(session_id, drawn=None, attempts=200):
    """Store the request's tracker (``drawn`` by the gateway, or a fresh one) in one of the session's
    sorted sets and return it. A set changes only by a whole-list ``$set`` guarded by its ``version``
    (nx-27017 keeps no ``$push`` ``$sort``), made from this process's copy of the set when it has one, so
    a receipt is one write as a ``$push`` ``$sort`` would be; a lost race (a stale copy) reads the set and
    tries again with the same tracker. One some
    ballot of this session already holds is never stored twice (a replayed or forged request): a fresh
    one instead (across sessions 128 random bits do not meet). A
    set found closed means the close has begun: it made a spare tracker for every ballot without one,
    and this cast takes one of them."""
    sets = BallotTrackerSet._get_collection()
    tracker = drawn if ballot_rules.is_tracker(drawn) else ballot_rules.new_tracker(rng=CHANCE)

    def attempt():
        nonlocal tracker
        set_id = f"{session_id}:{ballot_rules.tracker_shard(tracker)}"
        found = _TRACKER_SETS.get(set_id) or sets.find_one({"_id": set_id}, {"trackers": 1, "closed": 1, "version": 1})
        if found is None:  # a session opened before receipts existed
            try:
                sets.insert_one(_tracker_set(session_id, ballot_rules.tracker_shard(tracker)))
            except DuplicateKeyError:
                pass
            return None
        if found.get("closed"):
            return _spare(session_id)
        if tracker in found["trackers"]:
            tracker = ballot_rules.new_tracker(rng=CHANCE)
            return None
        trackers = ballot_rules.with_tracker(found["trackers"], tracker)
        if sets.update_one(
            {"_id": set_id, "version": found["version"], "closed": False},
            {"$set": {"trackers": trackers}, "$inc": {"version": 1}},
        ).matched_count:
            _TRACKER_SETS.keep(set_id, {"trackers": trackers, "version": found["version"] + 1, "closed": False})
            return tracker
        _TRACKER_SETS.forget(set_id)  # changed by another cast or the close: read it next time
        return None

    return retry.until_written(
        attempt,
        attempts,
        gave_up=RuntimeError("could not store a ballot's tracker"),
        pause=lambda n: time.sleep(random.uniform(0, 0.002 * min(n + 1, 20))),
    )


# Each tracker set as this process last wrote it: a receipt needs no read while this process is the set's only writer.
_TRACKER_SETS = LastWritten(limit=4096)


def _spare(session_id, wait_seconds=5.0):
    """Take one of the close's spare trackers (the close may still be making them)."""
    sets = BallotTrackerSet._get_collection()
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        pad = sets.find_one({"_id": f"{session_id}:{PAD}"}, {"spare": 1, "version": 1})
        if pad is not None:
            if not pad.get("spare"):
                break
            if sets.update_one(
                {"_id": pad["_id"], "version": pad["version"]},
                {"$set": {"spare": pad["spare"][1:]}, "$inc": {"version": 1}},
            ).matched_count:
                return pad["spare"][0]
        time.sleep(0.01)
    raise RuntimeError("a ballot was stored as its session closed, and no spare tracker was left for it")


def _close_trackers(session_id, ballots):
    """Close every tracker set, then make as many spare trackers as there are ballots without one.

    After the buckets closed no ballot can be added; after the sets closed no tracker but a spare. The
    pads go into ONE new document, inserted once (a second or repeated close finds it there), so two
    closes never pad twice."""
    sets = BallotTrackerSet._get_collection()
    sets.update_many(
        {"session": session_id, "shard": {"$in": list(ballot_rules.TRACKER_SHARDS)}},
        {"$set": {"closed": True}, "$inc": {"version": 1}},
    )
    if sets.find_one({"_id": f"{session_id}:{PAD}"}, {"_id": 1}) is not None:
        return
    missing = ballot_rules.missing_trackers(ballots, len(read_trackers(session_id)))
    pads = {ballot_rules.new_tracker(rng=CHANCE) for _ in range(missing)}
    document = _tracker_set(session_id, PAD, pads, closed=True)
    document["spare"] = list(pads)
    try:
        sets.insert_one(document)
    except DuplicateKeyError:
        pass
