"""Hash commitments to exam papers set outside: committed before the exam, revealed after it."""

import hashlib
import hmac

from services.common.errors import RuleViolation
from services.examination.sealing.encoding import check_hex_digest, decode_b64


def commitment_of(data):
    """Lowercase hex SHA-256 of ``data`` (bytes): the commitment to a paper or to a sheet's plaintext."""
    return hashlib.sha256(data).hexdigest()


def check_commitment(value, field="commitment"):
    """A commitment as received: 64 lowercase hex characters, or ``Invalid`` naming ``field``."""
    return check_hex_digest(value, field)


def check_reveal(commitment, paper_b64, field="paper"):
    """Decode a revealed paper and check it against its commitment.

    Returns the paper bytes; 400 for bad base64, 422 ``commitment_mismatch`` when
    the paper is not the one committed to.
    """
    paper = decode_b64(paper_b64, field)
    if not hmac.compare_digest(commitment_of(paper), commitment):
        raise RuleViolation("the revealed paper does not match its commitment", "commitment_mismatch")
    return paper
