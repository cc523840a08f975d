"""The ballot sessions' steps: a session opened with its tokens issued, and closed with its ballots tallied."""

import logging
import time

from services.common import outbox
from services.common.errors import Conflict
from services.nomination import ballot_box, contract, registry, store
from services.nomination.domain import ballots as ballot_rules
from services.nomination.domain.stages import Action, check_stage
from services.nomination.models import BallotSession
from services.nomination.steps import subject

log = logging.getLogger(__name__)


def ballot_session_opening(doc, body, caller):
    """A secret-ballot session of the selection: its terms (the rules, then the candidates known), its
    tokens issued into the ballot box, the session and its event. The answer is the only copy of the tokens."""
    terms = ballot_rules.open_session(
        doc.stage, kind=body["kind"], electorate=body["electorate"], seats=body["seats"], candidates=body["candidates"]
    )
    registry.require_cadres(terms.candidates, "candidates")
    session = BallotSession(
        selection=doc.id,
        kind=terms.kind,
        electorate=terms.electorate,
        seats=terms.seats,
        candidates=list(terms.candidates),
        tagged_tokens=True,
    )
    tokens = ballot_box.issue(session.id, terms.electorate)
    data = {
        "selection": doc.id,
        "session": session.id,
        "kind": terms.kind,
        "electorate": terms.electorate,
        "seats": terms.seats,
    }
    outbox.insert(
        session, caller.envelope("ballot_session.opened", subject(doc.id), contract.BallotSessionOpened().dump(data))
    )
    return {"id": session.id, "tokens": tokens}


def ballot_session_closing(session_id, caller):
    """Close a ballot session: seal its box, tally its ballots and store the tally with its event, once."""
    session = ballot_box.load_session(session_id)
    doc = store.load_selection(session.selection)
    check_stage(Action.CLOSE_SESSION, doc.stage)
    if session.tallied:
        raise Conflict("the ballot session is closed", "session_closed")
    started = time.perf_counter()
    result = ballot_rules.close_session(
        doc.stage, ballot_box.seal(session_id), terms=ballot_box.terms(session), already_closed=False
    )
    tally = result.as_dict()
    log.info("tallied %d ballots in %.3fs", tally["cast"], time.perf_counter() - started)
    event = caller.envelope(
        "ballot_session.closed",
        subject(doc.id),
        contract.BallotSessionClosed().dump(
            {"selection": doc.id, "session": session_id, "kind": session.kind, **tally}
        ),
    )
    stored = outbox.modify(
        BallotSession.objects(id=session_id, tallied=False), {"set__tallied": True, "set__result": tally}, [event]
    )
    if stored is None:
        raise Conflict("the ballot session is closed", "session_closed")
    return tally
