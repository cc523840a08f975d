"""The helpers the wiring added: the keyed ID-number hash and sealing a long list as several sheets."""

import base64
import json

from nacl.public import PrivateKey

from services.examination.domain.applications import id_number_digest
from services.examination.sealing import body_size, keygen, open_sheets, seal_sheets
from services.examination.sealing.keys import clamp

ID = "11010119900101001X"


def test_id_digest_is_keyed_normalized_and_not_the_number():
    key = b"k" * 32
    assert id_number_digest(key, ID) == id_number_digest(key, ID.lower() + " ")
    assert id_number_digest(key, ID) != id_number_digest(b"other key", ID)
    assert ID not in id_number_digest(key, ID) and len(id_number_digest(key, ID)) == 64


def _campaign_key():
    private = PrivateKey(clamp(bytes(PrivateKey.generate())))
    return private, base64.b64encode(bytes(private.public_key)).decode()


def test_a_long_list_is_split_into_sheets_under_the_limit_and_combines_back():
    private, public = _campaign_key()
    vendor = keygen()
    scores = [{"blind_code": f"C{i:06d}", "score": i % 101} for i in range(30000)]
    bodies = seal_sheets("CMP", "written", "grader-1", scores, public, vendor.signing_key, 256 * 1024)
    assert len(bodies) > 1
    assert all(body_size(b) <= 256 * 1024 for b in bodies)
    sheets = [
        {"id": str(n), "examiner": b["examiner"], "ciphertext": b["ciphertext"], "commitment": b["commitment"]}
        for n, b in enumerate(bodies)
    ]
    opened = open_sheets(private, sheets, "CMP", "written", {s["blind_code"] for s in scores})
    assert opened.problems == []
    combined = {}
    for sheet in opened.sheets:
        assert sheet.examiner == "grader-1"
        combined.update(sheet.scores)
    assert combined == {s["blind_code"]: s["score"] for s in scores}


def test_a_short_list_is_one_sheet():
    _, public = _campaign_key()
    bodies = seal_sheets(
        "CMP", "written", "g", [{"blind_code": "A", "score": 1}], public, keygen().signing_key, 1024 * 1024
    )
    assert len(bodies) == 1 and set(bodies[0]) == {"stage", "examiner", "ciphertext", "commitment", "signature"}
    assert body_size(bodies[0]) == len(json.dumps(bodies[0], separators=(",", ":")))
