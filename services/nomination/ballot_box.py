"""The ballot box of a secret-ballot session: keyed hashes of its unused tokens dealt into bucket
documents, a cast as ONE atomic update of one bucket (a token is spent if and only if its ballot is
stored), and the close that seals every bucket and reads the ballots for the tally. No record links a
token to a voter; the tokens themselves exist only in the answer that opens the session."""
from pymongo.errors import DuplicateKeyError

from services.nomination import store
from services.nomination.domain import ballots as ballot_rules
from services.nomination.domain.stages import Stage
from services.nomination.models import BallotBucket, BallotSession, Selection, UsedToken, new_id


def fill(session_id, tokens):
    """Deal the keyed hashes of a new session's tokens, at random, into its buckets."""
    hashes = ballot_rules.token_hashes(tokens, store.ballot_key())
    BallotBucket._get_collection().insert_many(
        [{"_id": new_id(), "session": session_id, "bucket": n, "closed": False, "unused": dealt, "ballots": []}
         for n, dealt in enumerate(ballot_rules.deal_buckets(hashes))])


def cast(token, choices):
    """Store one ballot under its token, or raise the rule that refuses it (unknown, used, closed)."""
    digest = ballot_rules.token_hash(token, store.ballot_key())
    buckets, used = BallotBucket._get_collection(), UsedToken._get_collection()
    # the token names its session; which of the session's buckets holds it is found by looking
    # (an index on ``unused`` would do, but the embedded test database answers nothing through one)
    bucket = buckets.find_one({"session": ballot_rules.session_of_token(token), "unused": digest},
                              {"session": 1, "closed": 1})
    if bucket is None:
        marked = used.find_one({"_id": digest}, {"_id": 1}) is not None
        ballot_rules.check_ballot(token_known=marked, token_used=marked, session_closed=False)
    session = BallotSession._get_collection().find_one({"_id": bucket["session"]}, {"closed": 1, "selection": 1})
    if session is None:  # tokens whose session was never stored
        ballot_rules.check_ballot(token_known=False, token_used=False, session_closed=False)
    selection = Selection._get_collection().find_one({"_id": session["selection"]}, {"stage": 1})
    ballot_rules.check_ballot(token_known=True, token_used=False,
                              session_closed=bool(session.get("closed") or bucket.get("closed")),
                              stage=selection["stage"] if selection else Stage.CLOSED)
    # Mark the hash used BEFORE the cast: then a hash gone from ``unused`` is always marked, and a
    # racing or redelivered attempt that finds it gone hears token_used. Killed after the mark and
    # before the cast, the token is still unused and a retry casts it (the mark alone spends nothing).
    try:
        used.insert_one({"_id": digest})
    except DuplicateKeyError:
        pass
    stored = ballot_rules.encode_choices(choices)
    for _ in range(3):  # (a retry is only for an update that lost a race with nothing that refuses it)
        # THE cast: one atomic update of one document, so the token is spent iff the ballot is stored;
        # a closed bucket refuses, and a racing attempt on the same token finds the hash gone
        if buckets.update_one({"_id": bucket["_id"], "unused": digest, "closed": False},
                              {"$pull": {"unused": digest}, "$push": {"ballots": stored}}).matched_count:
            return
        still = buckets.find_one({"_id": bucket["_id"], "unused": digest}, {"closed": 1})
        ballot_rules.refuse_cast(in_unused=still is not None, bucket_closed=bool(still and still.get("closed")),
                                 marked_used=True)
    raise RuntimeError("a ballot bucket refused an open, unused token three times")


def seal(session_id):
    """Close the session and every bucket; returns its ballots (decoded), all of them final.

    Once every bucket is closed no cast can succeed, and every cast that did is already in its bucket
    (admission and storage are one update): nothing to wait for. A close killed half-way is simply
    called again; casts meanwhile land in the still-open buckets and are counted.
    """
    BallotSession.objects(id=session_id).update_one(set__closed=True)
    buckets = BallotBucket._get_collection()
    buckets.update_many({"session": session_id}, {"$set": {"closed": True}})
    return [ballot_rules.decode_choices(stored)
            for bucket in buckets.find({"session": session_id}, {"ballots": 1, "_id": 0})
            for stored in bucket.get("ballots", [])]
