"""Sealed score sheets: the vendor seals and signs, the service checks at receipt, and opens at unseal.

Format (API.md, "Examination", v2): the plaintext is UTF-8 JSON
``{"campaign", "stage", "examiner", "nonce", "scores": [{"blind_code", "score"}]}``;
the ciphertext is a libsodium sealed box of it to the campaign's X25519 key; the
commitment is the lowercase hex SHA-256 of the plaintext; the signature is
Ed25519 over ``signed_message``, which names the examiner. The examiner is
therefore fixed at receipt, where the service checks it against the submitting
vendor, and the plaintext must agree with it at unseal. The 32-byte random
nonce keeps the public commitment of a short sheet from being guessed.
"""

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from nacl.bindings import crypto_box_SEALBYTES
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import PrivateKey, SealedBox

from services.common.errors import Invalid, RuleViolation
from services.examination.contract import STAGES
from services.examination.sealing.commitments import commitment_of
from services.examination.sealing.encoding import decode_b64, encode_b64, is_hex_digest
from services.examination.sealing.keys import load_signing_key, parse_public_key, parse_verify_key

SIGNATURE_CONTEXT = "cadre-sealed-sheet-v2"
SIGNATURE_BYTES = 64
MIN_SCORE, MAX_SCORE = 0, 100
_CODE = r"[A-Za-z0-9_-]{1,64}"
_GRADER = re.compile(rf"({_CODE})(?:/({_CODE}))?")
_NONCE = re.compile(r"[0-9a-f]{64}")


def new_nonce():
    """32 random bytes as lowercase hex: what makes a sheet's commitment unguessable."""
    return secrets.token_hex(32)


def is_nonce(value):
    return isinstance(value, str) and _NONCE.fullmatch(value) is not None


def vendor_of(examiner):
    """The vendor an examiner belongs to: ``V`` for ``V`` and for ``V/grader``."""
    return examiner.split("/", 1)[0]


def check_examiner(stage, examiner, vendor):
    """Who may be named as having scored, by the vendor submitting the sheet.

    Interview: exactly the vendor's code (a drawn examiner scores as itself).
    Written: the vendor's code or ``<vendor code>/<grader>``. Else 422 ``examiner_mismatch``.
    """
    match = _GRADER.fullmatch(examiner) if isinstance(examiner, str) else None
    allowed = match is not None and match.group(1) == vendor and (stage == "written" or match.group(2) is None)
    if not allowed:
        detail = (
            "an interview sheet names exactly the submitting vendor as examiner"
            if stage == "interview"
            else "a written sheet names the submitting vendor, or one of its graders as <vendor>/<grader>"
        )
        raise RuleViolation(detail, "examiner_mismatch")
    return examiner


def signed_message(campaign, stage, examiner, commitment, ciphertext_bytes):
    """The exact bytes a vendor signs for one sheet."""
    text = "\n".join(
        [SIGNATURE_CONTEXT, campaign, stage, examiner, commitment, hashlib.sha256(ciphertext_bytes).hexdigest()]
    )
    return text.encode("utf-8")


def sheet_plaintext(campaign, stage, examiner, scores, nonce):
    """UTF-8 JSON plaintext of a sheet; ``scores`` is ``[{"blind_code", "score"}]`` or ``{blind_code: score}``."""
    if isinstance(scores, dict):
        scores = [{"blind_code": code, "score": score} for code, score in scores.items()]
    else:
        scores = [{"blind_code": s["blind_code"], "score": s["score"]} for s in scores]
    body = {"campaign": campaign, "stage": stage, "examiner": examiner, "nonce": nonce, "scores": scores}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_number).encode("utf-8")


def _number(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot put {type(value).__name__} in a sheet")


def sign_sheet(campaign, stage, examiner, commitment, ciphertext_bytes, vendor_signing_key):
    """Base64 Ed25519 signature of ``signed_message`` by the vendor's key (vendor side)."""
    key = load_signing_key(vendor_signing_key)
    message = signed_message(campaign, stage, examiner, commitment, ciphertext_bytes)
    return encode_b64(key.sign(message).signature)


def seal_sheet(campaign, stage, examiner, scores, campaign_public_key_b64, vendor_signing_key, nonce=None):
    """Build the body of ``POST /campaigns/{code}/sealed-sheets`` (vendor side).

    Returns ``{"stage", "examiner", "ciphertext", "commitment", "signature"}``; ``nonce`` is fresh
    unless given (tests that need a fixed plaintext give one).
    """
    if stage not in STAGES:
        raise Invalid({"stage": [f"must be one of {', '.join(STAGES)}"]})
    plaintext = sheet_plaintext(campaign, stage, examiner, scores, new_nonce() if nonce is None else nonce)
    ciphertext = SealedBox(parse_public_key(campaign_public_key_b64)).encrypt(plaintext)
    commitment = commitment_of(plaintext)
    return {
        "stage": stage,
        "examiner": examiner,
        "ciphertext": encode_b64(ciphertext),
        "commitment": commitment,
        "signature": sign_sheet(campaign, stage, examiner, commitment, ciphertext, vendor_signing_key),
    }


def body_size(sheet_body):
    """Bytes of a sheet body as the vendor tool posts it (compact JSON)."""
    return len(json.dumps(sheet_body, separators=(",", ":")).encode("utf-8"))


def seal_sheets(campaign, stage, examiner, scores, campaign_public_key_b64, vendor_signing_key, max_body_bytes):
    """Seal ``scores`` (``[{"blind_code", "score"}]``) as one or more sheet bodies, each at most
    ``max_body_bytes`` long, so that a long list passes the gateway's body limit.

    Every sheet names the same ``examiner`` and has its own nonce; at unseal the sheets of one
    examiner are combined again.
    """
    scores = list(scores)

    def seal(part):
        return seal_sheet(campaign, stage, examiner, part, campaign_public_key_b64, vendor_signing_key)

    # First guess from the size of the whole, then halve any part still too large.
    whole = len(sheet_plaintext(campaign, stage, examiner, scores, new_nonce()))
    room = max(1, (max_body_bytes * 3 // 4) - 600)  # base64 grows 4/3; envelope, signature and JSON keys
    parts = max(1, -(-whole // room))
    size = -(-len(scores) // parts) if scores else 0
    pending = [scores[i : i + size] for i in range(0, len(scores), size)] if scores else [[]]
    bodies = []
    while pending:
        part = pending.pop(0)
        body = seal(part)
        if body_size(body) <= max_body_bytes:
            bodies.append(body)
        elif len(part) <= 1:
            raise Invalid({"scores": [f"a single score does not fit in {max_body_bytes} bytes"]})
        else:
            half = len(part) // 2
            pending[:0] = [part[:half], part[half:]]
    return bodies


@dataclass(frozen=True)
class ReceivedSheet:
    """A sheet that passed the checks at receipt; what the service stores (still sealed)."""

    stage: str
    examiner: str
    ciphertext: str  # base64, as received
    commitment: str
    signature: str
    ciphertext_sha256: str


def verify_receipt(sheet_body, campaign, vendor_public_key_b64, vendor):
    """Check a submitted sheet body against the submitting vendor (its code and registered key).

    400 ``invalid`` naming every malformed field (stage, examiner, ciphertext, commitment,
    signature); 422 ``examiner_mismatch`` when the examiner is not one ``vendor`` may name
    (``check_examiner``); 422 ``invalid_signature`` when the signature does not verify.
    Nothing here can read the scores.
    """
    if not isinstance(sheet_body, dict):
        raise Invalid({"_body": ["must be a JSON object"]})
    errors = {}
    stage = sheet_body.get("stage")
    if stage not in STAGES:
        errors["stage"] = [f"must be one of {', '.join(STAGES)}"]
    ciphertext = _collect(errors, "ciphertext", lambda: decode_b64(sheet_body.get("ciphertext"), "ciphertext"))
    if ciphertext is not None and len(ciphertext) <= crypto_box_SEALBYTES:
        errors["ciphertext"] = ["is too short to be a sealed box"]
    examiner = sheet_body.get("examiner")
    if not isinstance(examiner, str):
        errors["examiner"] = ["must be a string: the vendor's code or <vendor code>/<grader>"]
    commitment = sheet_body.get("commitment")
    if not is_hex_digest(commitment):
        errors["commitment"] = ["must be a lowercase hex SHA-256 digest (64 characters)"]
    signature = _collect(
        errors, "signature", lambda: decode_b64(sheet_body.get("signature"), "signature", SIGNATURE_BYTES)
    )
    if errors:
        raise Invalid(errors)
    check_examiner(stage, examiner, vendor)
    verify_key = parse_verify_key(vendor_public_key_b64)
    try:
        verify_key.verify(signed_message(campaign, stage, examiner, commitment, ciphertext), signature)
    except BadSignatureError:
        detail = "the sheet's signature does not verify with the vendor's key"
        raise RuleViolation(detail, "invalid_signature") from None
    return ReceivedSheet(
        stage=stage,
        examiner=examiner,
        ciphertext=sheet_body["ciphertext"],
        commitment=commitment,
        signature=sheet_body["signature"],
        ciphertext_sha256=hashlib.sha256(ciphertext).hexdigest(),
    )


def _collect(errors, name, decode):
    try:
        return decode()
    except Invalid as exc:
        errors.update(exc.errors)
        return None


@dataclass(frozen=True)
class SheetProblem:
    """One thing wrong with one sheet at unseal; ``blind_code`` names the entry when it is one entry."""

    sheet: str
    code: str
    detail: str
    blind_code: str = None

    def as_dict(self):
        body = {"sheet": self.sheet, "code": self.code, "detail": self.detail}
        if self.blind_code is not None:
            body["blind_code"] = self.blind_code
        return body


@dataclass(frozen=True)
class OpenedSheet:
    """The scores accepted from one sheet: ``{blind_code: score}`` with exact ``Decimal``/``int`` scores."""

    sheet: str
    examiner: str
    scores: dict


@dataclass
class Unsealing:
    """Everything an unseal produced: accepted scores per sheet, and every problem found."""

    sheets: list = field(default_factory=list)
    problems: list = field(default_factory=list)


class _SheetRejected(Exception):
    def __init__(self, code, detail):
        super().__init__(code, detail)
        self.code, self.detail = code, detail


def _refuse_constant(name):
    raise ValueError(f"{name} is not a score")


def open_sheets(private_key, sheets, campaign, stage, known_blind_codes, examiners=None):
    """Decrypt and check every sheet of one stage, never stopping at a bad one.

    ``sheets``: mappings with ``id``, ``examiner`` (the signed one, fixed at
    receipt), ``ciphertext`` (base64) and ``commitment``. ``known_blind_codes``:
    the codes this stage may score (for ``interview``, the shortlisted).
    ``examiners``: when given, the only acceptable examiners (the drawn interview
    examiners).

    A sheet that cannot be decrypted, whose plaintext does not match its
    commitment (``commitment_mismatch``), is malformed, names another campaign
    (``wrong_campaign``), stage (``wrong_stage``) or examiner than the signed one
    (``examiner_mismatch``), or lacks a well-formed nonce (``invalid_nonce``) is
    not scored at all. Within a good sheet, an entry with a score outside 0–100,
    an unknown blind code, or a blind code the sheet scores more than once is
    left out and reported; the rest count.
    """
    box = SealedBox(private_key if isinstance(private_key, PrivateKey) else PrivateKey(bytes(private_key)))
    known = known_blind_codes if isinstance(known_blind_codes, (set, frozenset, dict)) else set(known_blind_codes)
    allowed_examiners = None if examiners is None else set(examiners)
    result = Unsealing()
    for sheet in sheets:
        sheet_id = str(sheet["id"])
        try:
            examiner, entries = _read_sheet(box, sheet, campaign, stage, allowed_examiners)
        except _SheetRejected as exc:
            result.problems.append(SheetProblem(sheet_id, exc.code, exc.detail))
            continue
        scores, problems = _check_entries(sheet_id, entries, known)
        result.sheets.append(OpenedSheet(sheet_id, examiner, scores))
        result.problems.extend(problems)
    return result


def _read_sheet(box, sheet, campaign, stage, allowed_examiners):
    try:
        plaintext = box.decrypt(decode_b64(sheet["ciphertext"], "ciphertext"))
    except (CryptoError, Invalid):
        raise _SheetRejected("undecryptable", "the ciphertext does not open with the campaign key") from None
    if not hmac.compare_digest(commitment_of(plaintext), str(sheet["commitment"])):
        raise _SheetRejected("commitment_mismatch", "the plaintext does not match the sheet's commitment")
    try:
        body = json.loads(plaintext.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise _SheetRejected("malformed", "the plaintext is not UTF-8 JSON") from None
    if not isinstance(body, dict):
        raise _SheetRejected("malformed", "the plaintext is not a JSON object")
    if body.get("campaign") != campaign:
        raise _SheetRejected("wrong_campaign", "the sheet names another campaign")
    if body.get("stage") != stage:
        raise _SheetRejected("wrong_stage", f"the sheet is not for the {stage} stage")
    signed = sheet.get("examiner")
    examiner = body.get("examiner")
    if not isinstance(signed, str) or not signed or examiner != signed:
        raise _SheetRejected("examiner_mismatch", "the plaintext names another examiner than the signed one")
    if not is_nonce(body.get("nonce")):
        raise _SheetRejected("invalid_nonce", "the plaintext has no nonce of 64 lowercase hex characters")
    if allowed_examiners is not None and examiner not in allowed_examiners:
        raise _SheetRejected("unknown_examiner", "the sheet's examiner was not drawn for this stage")
    entries = body.get("scores")
    if not isinstance(entries, list):
        raise _SheetRejected("malformed", "the sheet's scores are not a list")
    return examiner, entries


def _check_entries(sheet_id, entries, known):
    scores, problems, seen, duplicated = {}, [], set(), set()
    for position, entry in enumerate(entries):
        code = entry.get("blind_code") if isinstance(entry, dict) else None
        if not isinstance(code, str) or not code:
            problems.append(SheetProblem(sheet_id, "malformed_entry", f"score entry {position} has no blind code"))
            continue
        if code in seen:
            # Neither score can be trusted over the other: the code counts for nothing in this sheet.
            if code not in duplicated:
                duplicated.add(code)
                scores.pop(code, None)
                detail = "the sheet scores this blind code more than once"
                problems.append(SheetProblem(sheet_id, "duplicate_blind_code", detail, code))
            continue
        seen.add(code)
        score = entry.get("score")
        if isinstance(score, bool) or not isinstance(score, (int, Decimal)):
            problems.append(SheetProblem(sheet_id, "invalid_score", "the score is not a number", code))
            continue
        if not MIN_SCORE <= score <= MAX_SCORE:
            problems.append(
                SheetProblem(sheet_id, "score_out_of_range", f"the score is outside {MIN_SCORE}–{MAX_SCORE}", code)
            )
            continue
        if code not in known:
            problems.append(
                SheetProblem(sheet_id, "unknown_blind_code", "no candidate of this stage has this blind code", code)
            )
            continue
        scores[code] = score
    return scores, problems
