"""The records log in the C2SP formats: its signed-note checkpoint with the witnesses' cosignatures, its hash
tiles, and the submission of every new checkpoint to the witnesses of ``RECORDS_WITNESSES``."""

import base64
import logging

import requests
from pymongo.errors import DuplicateKeyError

from services.common import config
from services.common.errors import Invalid, NotFound, Unavailable
from services.records.log import note, tiles, witnessing
from services.records.log.entry import is_hex_hash
from services.records.models import Checkpoint, Cosignature, Entry

log = logging.getLogger(__name__)

SUBMIT_TIMEOUT_SECONDS = 5
# How many of the newest checkpoints are looked at for the newest one every witness has cosigned.
RECENT_CHECKPOINTS = 64


def origin():
    return config.get("RECORDS_LOG_ORIGIN")


def witnesses():
    return witnessing.parse_witnesses(config.get("RECORDS_WITNESSES"))


def witnesses_document():
    """``GET /api/v1/records/witnesses``: ``{witnesses: [{name, vkey, url}]}``."""
    return {"witnesses": [{"name": w.name, "vkey": w.vkey, "url": w.url} for w in witnesses()]}


def checkpoint_text(doc):
    return note.checkpoint_text(origin(), doc["size"], bytes.fromhex(doc["root"]))


def note_of(store, doc, lines):
    """The signed note of checkpoint ``doc`` with these cosignature lines (the log's Ed25519 is deterministic)."""
    return note.signed_checkpoint(origin(), doc["size"], bytes.fromhex(doc["root"]), store.signing_key, lines)


def served_note(store):
    """``GET /log/checkpoint``: the newest checkpoint every configured witness has cosigned, with their lines.

    A reader trusts a checkpoint only once the witnesses vouch for it, so the note stays at the
    last cosigned size while a witness is down (the JSON checkpoint goes on). With no cosigned
    checkpoint at all (a new log, no witnesses configured) it is the newest checkpoint, uncosigned.
    """
    latest = store.latest_checkpoint() or store.make_checkpoint()
    names = [w.name for w in witnesses()]
    if not names:
        return note_of(store, latest, [])
    # The newest checkpoints first (the usual case: the witnesses keep up), then, after an outage, the
    # sizes the first witness cosigned, newest first.
    recent = [
        doc["size"]
        for doc in Checkpoint._get_collection()
        .find({}, {"_id": 0, "size": 1})
        .sort("size", -1)
        .limit(RECENT_CHECKPOINTS)
    ]
    older = [
        doc["size"]
        for doc in Cosignature._get_collection()
        .find({"witness": names[0]}, {"_id": 0, "size": 1})
        .sort("size", -1)
        .limit(RECENT_CHECKPOINTS * 16)
    ]
    for sizes in (recent, older):
        lines = {}
        for cosig in Cosignature._get_collection().find({"size": {"$in": sizes}}, {"_id": 0}):
            lines.setdefault(cosig["size"], {})[cosig["witness"]] = cosig["line"]
        for size in sorted(lines, reverse=True):
            if all(name in lines[size] for name in names):
                doc = Checkpoint._get_collection().find_one({"size": size}, {"_id": 0})
                if doc is not None:
                    return note_of(store, doc, [lines[size][name] for name in names])
    return note_of(store, latest, [])


# -- submitting to the witnesses -------------------------------------------------------------------


def _last_cosigned_size(name):
    doc = Cosignature._get_collection().find_one({"witness": name}, {"_id": 0, "size": 1}, sort=[("size", -1)])
    return doc["size"] if doc else 0


def submit(store, witness, doc, session=None):
    """Ask ``witness`` to cosign checkpoint ``doc``; store its cosignature. True when stored.

    Starts from the size this log last got a cosignature for; a 409 names the witness's own size
    (after a lost answer, or another replica's submission) and the request is made once more from it.
    """
    session = session or requests
    text = checkpoint_text(doc)
    signed = note_of(store, doc, [])
    old = min(_last_cosigned_size(witness.name), doc["size"])
    for _ in range(2):
        proof = store.tree.consistency_proof(old, doc["size"]) if old else []
        body = witnessing.encode_request(old, proof, signed)
        try:
            response = session.post(
                f"{witness.url}/add-checkpoint",
                data=body,
                timeout=SUBMIT_TIMEOUT_SECONDS,
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
        except requests.RequestException as error:
            log.warning("witness %s unreachable: %s", witness.name, type(error).__name__)
            return False
        if response.status_code == 409 and response.headers.get("Content-Type", "").startswith("text/x.tlog.size"):
            try:
                old = int(response.text.strip())
            except ValueError:
                return False
            if not 0 <= old <= doc["size"]:
                log.error("witness %s has cosigned size %d, beyond this log's %d", witness.name, old, doc["size"])
                return False
            continue
        if response.status_code != 200:
            log.error(
                "witness %s refused checkpoint %d: %d %s",
                witness.name,
                doc["size"],
                response.status_code,
                response.text[:200],
            )
            return False
        return _store_cosignature(witness, doc, text, response.text)
    return False


def _store_cosignature(witness, doc, text, answer):
    for line in answer.splitlines(keepends=True):
        try:
            _, signatures = note.parse_note(text + "\n" + line)
            note.verify_cosignature(text, signatures, witness.verifier)
        except note.NoteError:
            continue  # another key's line, or a bad one: never served
        try:
            Cosignature._get_collection().insert_one({"size": doc["size"], "witness": witness.name, "line": line})
        except DuplicateKeyError:
            pass
        return True
    log.error("witness %s answered checkpoint %d without a valid cosignature", witness.name, doc["size"])
    return False


def cosign_latest(store, session=None):
    """Submit the newest checkpoint to every witness that has not cosigned it yet; False when one did not."""
    configured = witnesses()
    if not configured:
        return True
    latest = store.latest_checkpoint()
    if latest is None:
        return True
    store.sync()
    done = True
    for witness in configured:
        if not Cosignature._get_collection().find_one({"size": latest["size"], "witness": witness.name}, {"_id": 1}):
            done = submit(store, witness, latest, session) and done
    return done


# -- hash tiles ------------------------------------------------------------------------------------


def tile(store, level_text, rest):
    """``{"data": base64, "full": bool}`` of ``tile/<L>/<rest>``; level 0 read from the stored leaf hashes."""
    try:
        level, n, width = tiles.parse_tile_path(level_text, rest)
    except tiles.TileError as error:
        raise Invalid({"path": [str(error)]})
    if level == 0:
        start = n * tiles.TILE_WIDTH
        docs = list(
            Entry._get_collection()
            .find({"seq": {"$gte": start, "$lt": start + width}}, {"_id": 0, "seq": 1, "leaf_hash": 1})
            .sort("seq", 1)
            .batch_size(tiles.TILE_WIDTH + 1)
        )  # one round trip, not the default 101 + getMore
        if len(docs) < width or any(d["seq"] != start + i for i, d in enumerate(docs)):
            raise NotFound(f"the log has no {tiles.tile_path(level, n, width)}")
        corrupt = [d["seq"] for d in docs if not is_hex_hash(d.get("leaf_hash"))]
        if corrupt:
            raise Unavailable(f"the stored leaf hash of seq {corrupt[0]} is not a hash")
        data = b"".join(bytes.fromhex(d["leaf_hash"]) for d in docs)
    else:
        store.sync()
        try:
            data = tiles.tile_bytes(store.tree, level, n, width)
        except tiles.TileError:
            raise NotFound(f"the log has no {tiles.tile_path(level, n, width)}")
    return {"data": base64.b64encode(data).decode("ascii"), "full": width == tiles.TILE_WIDTH}
