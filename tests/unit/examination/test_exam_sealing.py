"""Sealed score sheets: vendor sealing, checks at receipt, and opening at unseal."""

import base64
import hashlib
import json

import pytest
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey

from services.common.errors import Invalid, RuleViolation
from services.examination.sealing import check_examiner, keygen, open_sheets, seal_sheet, signed_message, verify_receipt
from services.examination.sealing.keys import new_campaign_keypair

CAMPAIGN = "GX2024"


@pytest.fixture
def campaign_key():
    return new_campaign_keypair()


@pytest.fixture
def vendor():
    return keygen()


NONCE = "0f" * 32


def stored(sheet_id, body):
    return {
        "id": sheet_id,
        "examiner": body["examiner"],
        "ciphertext": body["ciphertext"],
        "commitment": body["commitment"],
    }


def seal_raw(plaintext, public_key_b64):
    """Seal arbitrary bytes the way a careless or hostile vendor might."""
    box = SealedBox(PublicKey(base64.b64decode(public_key_b64)))
    ciphertext = box.encrypt(plaintext)
    return {
        "examiner": "G",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "commitment": hashlib.sha256(plaintext).hexdigest(),
    }


# --- vendor side and the format of API.md ---------------------------------------------------------


def test_round_trip(campaign_key, vendor):
    body = seal_sheet(
        CAMPAIGN,
        "written",
        "GRADER1",
        [{"blind_code": "AAA", "score": 88}, {"blind_code": "BBB", "score": 71.5}],
        campaign_key.public_key,
        vendor.signing_key,
    )
    assert set(body) == {"stage", "examiner", "ciphertext", "commitment", "signature"}
    received = verify_receipt(body, CAMPAIGN, vendor.verify_key, "GRADER1")
    assert received.examiner == "GRADER1"
    assert received.stage == "written" and received.commitment == body["commitment"]
    opened = open_sheets(campaign_key.private_key, [stored("s1", body)], CAMPAIGN, "written", {"AAA", "BBB"})
    assert opened.problems == []
    [sheet] = opened.sheets
    assert sheet.examiner == "GRADER1"
    assert sheet.scores == {"AAA": 88, "BBB": pytest.approx(71.5)}


def test_format_is_exactly_the_documented_one(campaign_key, vendor):
    body = seal_sheet(CAMPAIGN, "interview", "V9", {"K1": 90}, campaign_key.public_key, vendor.signing_key)
    assert body["examiner"] == "V9"
    ciphertext = base64.b64decode(body["ciphertext"])
    plaintext = SealedBox(PrivateKey(campaign_key.private_key)).decrypt(ciphertext)
    decoded = json.loads(plaintext)
    nonce = decoded.pop("nonce")
    assert len(nonce) == 64 and nonce == nonce.lower() and bytes.fromhex(nonce)
    assert decoded == {
        "campaign": CAMPAIGN,
        "stage": "interview",
        "examiner": "V9",
        "scores": [{"blind_code": "K1", "score": 90}],
    }
    assert body["commitment"] == hashlib.sha256(plaintext).hexdigest()
    message = (
        "cadre-sealed-sheet-v2\n"
        + CAMPAIGN
        + "\ninterview\nV9\n"
        + body["commitment"]
        + "\n"
        + hashlib.sha256(ciphertext).hexdigest()
    ).encode()
    assert signed_message(CAMPAIGN, "interview", "V9", body["commitment"], ciphertext) == message
    SigningKey(base64.b64decode(vendor.signing_key)).verify_key.verify(message, base64.b64decode(body["signature"]))


def test_keygen_gives_raw_32_byte_keys():
    keys = keygen()
    assert len(base64.b64decode(keys.signing_key)) == 32
    assert base64.b64decode(keys.verify_key) == bytes(SigningKey(base64.b64decode(keys.signing_key)).verify_key)
    assert keygen().verify_key != keys.verify_key


# --- at receipt ------------------------------------------------------------------------------------


def test_tampered_ciphertext_fails_the_signature(campaign_key, vendor):
    body = seal_sheet(CAMPAIGN, "written", "G", {"A": 1}, campaign_key.public_key, vendor.signing_key)
    raw = bytearray(base64.b64decode(body["ciphertext"]))
    raw[-1] ^= 1
    body["ciphertext"] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(RuleViolation) as exc:
        verify_receipt(body, CAMPAIGN, vendor.verify_key, "G")
    assert exc.value.code == "invalid_signature"


@pytest.mark.parametrize("field,value", [("stage", "interview"), ("commitment", "0" * 64), ("examiner", "G/g2")])
def test_signature_covers_stage_examiner_and_commitment(campaign_key, vendor, field, value):
    body = seal_sheet(CAMPAIGN, "written", "G", {"A": 1}, campaign_key.public_key, vendor.signing_key)
    body[field] = value
    with pytest.raises(RuleViolation) as exc:
        verify_receipt(body, CAMPAIGN, vendor.verify_key, "G")
    assert exc.value.code == "invalid_signature"


def test_signature_covers_campaign(campaign_key, vendor):
    body = seal_sheet(CAMPAIGN, "written", "G", {"A": 1}, campaign_key.public_key, vendor.signing_key)
    with pytest.raises(RuleViolation) as exc:
        verify_receipt(body, "OTHER", vendor.verify_key, "G")
    assert exc.value.code == "invalid_signature"


def test_wrong_signature(campaign_key, vendor):
    body = seal_sheet(CAMPAIGN, "written", "G", {"A": 1}, campaign_key.public_key, vendor.signing_key)
    body["signature"] = base64.b64encode(b"\1" * 64).decode()
    with pytest.raises(RuleViolation) as exc:
        verify_receipt(body, CAMPAIGN, vendor.verify_key, "G")
    assert exc.value.code == "invalid_signature"


def test_signed_by_another_vendor(campaign_key, vendor):
    body = seal_sheet(CAMPAIGN, "written", "G", {"A": 1}, campaign_key.public_key, keygen().signing_key)
    with pytest.raises(RuleViolation) as exc:
        verify_receipt(body, CAMPAIGN, vendor.verify_key, "G")
    assert exc.value.code == "invalid_signature"


@pytest.mark.parametrize(
    "field,value",
    [
        ("stage", "oral"),
        ("stage", None),
        ("ciphertext", "not base64!"),
        ("ciphertext", "QUJD"),  # three bytes: shorter than any sealed box
        ("ciphertext", "QUJDRA"),  # missing padding
        ("commitment", "ABCDEF" + "0" * 58),  # upper case
        ("commitment", "0" * 63),
        ("signature", base64.b64encode(b"x" * 63).decode()),
        ("signature", "%%%"),
        ("examiner", None),
        ("examiner", 7),
    ],
)
def test_malformed_fields_name_the_field(campaign_key, vendor, field, value):
    body = seal_sheet(CAMPAIGN, "written", "G", {"A": 1}, campaign_key.public_key, vendor.signing_key)
    body[field] = value
    with pytest.raises(Invalid) as exc:
        verify_receipt(body, CAMPAIGN, vendor.verify_key, "G")
    assert list(exc.value.errors) == [field]


def test_every_malformed_field_is_reported_at_once(vendor):
    with pytest.raises(Invalid) as exc:
        verify_receipt({"stage": "x"}, CAMPAIGN, vendor.verify_key, "G")
    assert set(exc.value.errors) == {"stage", "examiner", "ciphertext", "commitment", "signature"}


# --- at unseal -------------------------------------------------------------------------------------


def test_each_bad_sheet_is_reported_and_the_others_still_count(campaign_key, vendor):
    pk, sk = campaign_key.public_key, vendor.signing_key
    good = seal_sheet(CAMPAIGN, "written", "G1", {"A": 80}, pk, sk)
    mismatch = seal_sheet(CAMPAIGN, "written", "G2", {"A": 10}, pk, sk)
    other_campaign = seal_sheet("ELSE", "written", "G3", {"A": 20}, pk, sk)
    other_stage = seal_sheet(CAMPAIGN, "interview", "G4", {"A": 30}, pk, sk)
    foreign_key = seal_sheet(CAMPAIGN, "written", "G5", {"A": 40}, new_campaign_keypair().public_key, sk)
    not_json = seal_raw(b"{not json", pk)
    not_object = seal_raw(b"[1, 2]", pk)
    sheets = [
        stored("good", good),
        {"id": "mismatch", "examiner": "G2", "ciphertext": mismatch["ciphertext"], "commitment": good["commitment"]},
        stored("campaign", other_campaign),
        stored("stage", other_stage),
        stored("key", foreign_key),
        {"id": "json", **not_json},
        {"id": "object", **not_object},
    ]
    opened = open_sheets(campaign_key.private_key, sheets, CAMPAIGN, "written", {"A"})
    assert [s.sheet for s in opened.sheets] == ["good"]
    assert opened.sheets[0].scores == {"A": 80}
    assert {(p.sheet, p.code) for p in opened.problems} == {
        ("mismatch", "commitment_mismatch"),
        ("campaign", "wrong_campaign"),
        ("stage", "wrong_stage"),
        ("key", "undecryptable"),
        ("json", "malformed"),
        ("object", "malformed"),
    }


def test_bad_entries_are_left_out_one_problem_each(campaign_key):
    plaintext = json.dumps(
        {
            "campaign": CAMPAIGN,
            "stage": "written",
            "examiner": "G",
            "nonce": NONCE,
            "scores": [
                {"blind_code": "OK1", "score": 75},
                {"blind_code": "HIGH", "score": 100.5},
                {"blind_code": "LOW", "score": -1},
                {"blind_code": "STR", "score": "90"},
                {"blind_code": "BOOL", "score": True},
                {"blind_code": "NOPE", "score": 50},
                {"blind_code": "DUP", "score": 60},
                {"blind_code": "DUP", "score": 61},
                {"score": 50},
                {"blind_code": "EDGE0", "score": 0},
                {"blind_code": "EDGE100", "score": 100},
            ],
        }
    ).encode()
    known = {"OK1", "HIGH", "LOW", "STR", "BOOL", "DUP", "EDGE0", "EDGE100"}
    opened = open_sheets(
        campaign_key.private_key,
        [{"id": "s", **seal_raw(plaintext, campaign_key.public_key)}],
        CAMPAIGN,
        "written",
        known,
    )
    assert opened.sheets[0].scores == {"OK1": 75, "EDGE0": 0, "EDGE100": 100}
    assert sorted((p.code, p.blind_code) for p in opened.problems) == sorted(
        [
            ("score_out_of_range", "HIGH"),
            ("score_out_of_range", "LOW"),
            ("invalid_score", "STR"),
            ("invalid_score", "BOOL"),
            ("unknown_blind_code", "NOPE"),
            ("duplicate_blind_code", "DUP"),
            ("malformed_entry", None),
        ]
    )


def test_a_duplicate_voids_the_code_even_when_the_first_entry_was_bad(campaign_key):
    plaintext = json.dumps(
        {
            "campaign": CAMPAIGN,
            "stage": "written",
            "examiner": "G",
            "nonce": NONCE,
            "scores": [{"blind_code": "D", "score": 999}, {"blind_code": "D", "score": 70}],
        }
    ).encode()
    opened = open_sheets(
        campaign_key.private_key,
        [{"id": "s", **seal_raw(plaintext, campaign_key.public_key)}],
        CAMPAIGN,
        "written",
        {"D"},
    )
    assert opened.sheets[0].scores == {}
    assert "duplicate_blind_code" in {p.code for p in opened.problems}


def test_nan_is_not_a_score(campaign_key):
    plaintext = (
        b'{"campaign":"' + CAMPAIGN.encode() + b'","stage":"written","examiner":"G","nonce":"' + NONCE.encode() + b'",'
        b'"scores":[{"blind_code":"A","score":NaN}]}'
    )
    opened = open_sheets(
        campaign_key.private_key,
        [{"id": "s", **seal_raw(plaintext, campaign_key.public_key)}],
        CAMPAIGN,
        "written",
        {"A"},
    )
    assert opened.sheets == [] and opened.problems[0].code == "malformed"


def test_interview_sheet_from_an_examiner_not_drawn(campaign_key, vendor):
    body = seal_sheet(CAMPAIGN, "interview", "INTRUDER", {"A": 90}, campaign_key.public_key, vendor.signing_key)
    opened = open_sheets(
        campaign_key.private_key, [stored("s", body)], CAMPAIGN, "interview", {"A"}, examiners={"E1", "E2"}
    )
    assert opened.sheets == [] and opened.problems[0].code == "unknown_examiner"


def test_a_commitment_mismatch_is_reported_not_scored(campaign_key, vendor):
    body = seal_sheet(CAMPAIGN, "written", "G", {"A": 50}, campaign_key.public_key, vendor.signing_key)
    tampered = {"id": "t", "examiner": "G", "ciphertext": body["ciphertext"], "commitment": "f" * 64}
    opened = open_sheets(campaign_key.private_key, [tampered], CAMPAIGN, "written", {"A"})
    assert opened.sheets == []
    assert opened.problems[0].as_dict() == {
        "sheet": "t",
        "code": "commitment_mismatch",
        "detail": "the plaintext does not match the sheet's commitment",
    }


def test_a_sheet_of_100000_scores(campaign_key, vendor):
    codes = [f"C{i:07d}" for i in range(100_000)]
    scores = [{"blind_code": c, "score": (i % 101) if i % 3 else (i % 100) + 0.5} for i, c in enumerate(codes)]
    body = seal_sheet(CAMPAIGN, "written", "G", scores, campaign_key.public_key, vendor.signing_key)
    verify_receipt(body, CAMPAIGN, vendor.verify_key, "G")
    opened = open_sheets(campaign_key.private_key, [stored("big", body)], CAMPAIGN, "written", set(codes))
    assert opened.problems == []
    assert len(opened.sheets[0].scores) == 100_000
    assert opened.sheets[0].scores["C0000003"] == pytest.approx(3.5)


# --- v2: the examiner is signed, the nonce hides the scores ------------------------------------------


@pytest.mark.parametrize(
    "stage,examiner,vendor_code,ok",
    [
        ("interview", "V1", "V1", True),
        ("interview", "V2", "V1", False),  # another drawn examiner
        ("interview", "V1/g1", "V1", False),  # an interview examiner is the vendor itself
        ("written", "V1", "V1", True),
        ("written", "V1/g-1_x", "V1", True),
        ("written", "V1/" + "g" * 64, "V1", True),
        ("written", "V1/" + "g" * 65, "V1", False),
        ("written", "V2/g1", "V1", False),
        ("written", "V1/", "V1", False),
        ("written", "V1/g/h", "V1", False),
        ("written", "V1/g 1", "V1", False),
        ("written", "", "V1", False),
        ("written", "v1", "V1", False),
    ],
)
def test_who_a_vendor_may_name_as_examiner(stage, examiner, vendor_code, ok):
    if ok:
        assert check_examiner(stage, examiner, vendor_code) == examiner
    else:
        with pytest.raises(RuleViolation) as exc:
            check_examiner(stage, examiner, vendor_code)
        assert exc.value.code == "examiner_mismatch"


def test_receipt_refuses_an_examiner_the_vendor_may_not_name(campaign_key, vendor):
    body = seal_sheet(CAMPAIGN, "interview", "OTHER", {"A": 1}, campaign_key.public_key, vendor.signing_key)
    with pytest.raises(RuleViolation) as exc:
        verify_receipt(body, CAMPAIGN, vendor.verify_key, "V1")
    assert exc.value.code == "examiner_mismatch"


def _plain(**fields):
    body = {
        "campaign": CAMPAIGN,
        "stage": "written",
        "examiner": "G",
        "nonce": NONCE,
        "scores": [{"blind_code": "A", "score": 50}],
        **fields,
    }
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


@pytest.mark.parametrize(
    "fields,code",
    [
        ({"examiner": "G/other"}, "examiner_mismatch"),
        ({"examiner": None}, "examiner_mismatch"),
        ({"nonce": None}, "invalid_nonce"),
        ({"nonce": "AB" * 32}, "invalid_nonce"),
        ({"nonce": "ab" * 31}, "invalid_nonce"),
        ({"nonce": 7}, "invalid_nonce"),
    ],
)
def test_a_plaintext_disagreeing_with_the_signed_fields_is_reported_not_scored(campaign_key, fields, code):
    sheet = {"id": "s", **seal_raw(_plain(**fields), campaign_key.public_key)}
    opened = open_sheets(campaign_key.private_key, [sheet], CAMPAIGN, "written", {"A"})
    assert opened.sheets == [] and [p.code for p in opened.problems] == [code]


def test_a_sheet_stored_without_a_signed_examiner_is_not_scored(campaign_key):
    sheet = {"id": "s", **seal_raw(_plain(), campaign_key.public_key)}
    del sheet["examiner"]
    opened = open_sheets(campaign_key.private_key, [sheet], CAMPAIGN, "written", {"A"})
    assert opened.sheets == [] and [p.code for p in opened.problems] == ["examiner_mismatch"]


def test_two_sealings_of_the_same_scores_have_different_commitments(campaign_key, vendor):
    one = seal_sheet(CAMPAIGN, "interview", "V", {"A": 80}, campaign_key.public_key, vendor.signing_key)
    two = seal_sheet(CAMPAIGN, "interview", "V", {"A": 80}, campaign_key.public_key, vendor.signing_key)
    assert one["commitment"] != two["commitment"]
