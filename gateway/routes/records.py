"""Endpoints of API.md "Records": the log, its proofs and checkpoints (JSON and C2SP), dossiers and the disclosure feed."""

import base64
from urllib.parse import urlencode

from gateway.presentation import atom_feed, dossier_html
from gateway.routing import Answer, Route
from gateway.web import i18n
from services.common.clock import rfc3339, utcnow
import services.records.contract as s

SERVICE = "records"
TAGS = ("records",)


def _wants_html(inputs):
    return inputs.accept.best_match(["application/json", "text/html"]) == "text/html"


def render_dossier(result, inputs):
    """JSON by default; ``Accept: text/html`` gives the printable page an archivist files, in English unless
    Accept-Language asks for Chinese (the API speaks English; the pages default to Chinese)."""
    if _wants_html(inputs):
        page = dossier_html(result, i18n.accepted(inputs.languages) or "en")
        return Answer(200, text=page, content_type="text/html; charset=utf-8")
    return Answer(200, result)


def render_atom(result, inputs):
    base = inputs.base_url
    args = {k: v for k, v in inputs.query.items() if k != "cursor"}
    self_url = base + ("?" + urlencode(inputs.query) if inputs.query else "")
    next_url = base + "?" + urlencode(dict(args, cursor=result["next_cursor"])) if result.get("next_cursor") else None
    body = atom_feed(result["items"], self_url, rfc3339(utcnow()), next_url)
    return Answer(200, text=body, content_type="application/atom+xml; charset=utf-8")


# A checkpoint changes with every append: caches keep it for seconds only (tlog-tiles "Checkpoints").
CHECKPOINT_CACHE = "public, max-age=2"
# A full tile never changes; a partial one is superseded by its wider successors.
FULL_TILE_CACHE = "public, max-age=31536000, immutable"
PARTIAL_TILE_CACHE = "public, max-age=5"


def render_note(result, inputs):
    return Answer(
        200, text=result["note"], content_type="text/plain; charset=utf-8", headers={"Cache-Control": CHECKPOINT_CACHE}
    )


def render_tile(result, inputs):
    return Answer(
        200,
        text=base64.b64decode(result["data"]),
        content_type="application/octet-stream",
        headers={"Cache-Control": FULL_TILE_CACHE if result["full"] else PARTIAL_TILE_CACHE},
    )


ROUTES = [
    Route(
        "POST",
        "/api/v1/records",
        SERVICE,
        "append_manual",
        "Add a manual entry (the caller is the recorder)",
        body=s.ManualEntryIn,
        response=s.EntryOut,
        status=201,
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/v1/records",
        SERVICE,
        "list_records",
        "Entries in seq order, all or one subject's",
        query=s.RecordsQuery,
        response=s.RecordsPage,
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/v1/records/checkpoint",
        SERVICE,
        "checkpoint",
        "The latest signed checkpoint",
        response=s.CheckpointOut,
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/v1/records/public-key",
        SERVICE,
        "public_key",
        "The checkpoint signing key",
        response=s.PublicKeyOut,
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/v1/records/witnesses",
        SERVICE,
        "witnesses",
        "The witnesses that cosign the log's checkpoints: name, C2SP verifier key, submission prefix",
        response=s.WitnessesOut,
        tags=TAGS,
    ),
    Route(
        "GET",
        "/log/checkpoint",
        SERVICE,
        "log_checkpoint",
        "C2SP tlog-checkpoint signed note with the witnesses' cosignatures (text/plain)",
        render=render_note,
        tags=TAGS,
    ),
    Route(
        "GET",
        "/log/tile/<level>/<path:path>",
        SERVICE,
        "log_tile",
        "C2SP tlog-tiles hash tile: /log/tile/{L}/{N} or /log/tile/{L}/{N}.p/{W} (application/octet-stream)",
        render=render_tile,
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/v1/records/<int:seq>/proof",
        SERVICE,
        "inclusion_proof",
        "RFC 6962 inclusion proof of one entry",
        query=s.ProofQuery,
        response=s.ProofOut,
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/v1/records/consistency",
        SERVICE,
        "consistency_proof",
        "RFC 6962 consistency proof between sizes",
        query=s.ConsistencyQuery,
        response=s.ConsistencyOut,
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/v1/selections/<id>/dossier",
        SERVICE,
        "dossier",
        "A selection's records with inclusion proofs (Accept: text/html for a printable page)",
        response=s.DossierOut,
        render=render_dossier,
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/v1/disclosures",
        SERVICE,
        "list_disclosures",
        "Information disclosure feed, newest first",
        query=s.DisclosuresQuery,
        response=s.DisclosuresPage,
        tags=TAGS,
    ),
    Route(
        "GET",
        "/api/v1/disclosures.atom",
        SERVICE,
        "list_disclosures",
        "Information disclosure feed as Atom 1.0",
        query=s.DisclosuresQuery,
        render=render_atom,
        tags=TAGS,
    ),
]
