"""The sealing rules' exact outcomes: each refusal's text and field, each problem found at unseal as reported,
the plaintext's exact bytes, the boundaries of the checks, and a long list sealed as sheets that fit."""

import base64
import hashlib
import json
from decimal import Decimal

import pytest
from nacl.public import PrivateKey, PublicKey, SealedBox

from services.common.errors import Forbidden, Invalid, RuleViolation
from services.examination.sealing import (
    check_commitment,
    check_examiner,
    check_officer_share,
    check_reveal,
    keygen,
    new_campaign_key,
    open_sheets,
    seal_sheet,
    verify_receipt,
)
from services.examination.sealing.encoding import decode_b64
from services.examination.sealing.keys import load_signing_key, new_campaign_keypair, parse_public_key, parse_verify_key
from services.examination.sealing.shares import decode_share, split_key
from services.examination.sealing.sheets import body_size, seal_sheets, sheet_plaintext

CAMPAIGN = "GX2024"
NONCE = "0f" * 32


@pytest.fixture(scope="module")
def campaign_key():
    return new_campaign_keypair()


@pytest.fixture(scope="module")
def vendor():
    return keygen()


def sealed(plaintext, public_key_b64, examiner="G", sheet_id="s1"):
    ciphertext = SealedBox(PublicKey(base64.b64decode(public_key_b64))).encrypt(plaintext)
    return {
        "id": sheet_id,
        "examiner": examiner,
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "commitment": hashlib.sha256(plaintext).hexdigest(),
    }


def plain(**fields):
    body = {"campaign": CAMPAIGN, "stage": "written", "examiner": "G", "nonce": NONCE, "scores": [], **fields}
    return json.dumps(body).encode()


def problems(opened):
    return [p.as_dict() for p in opened.problems]


# --- the plaintext -----------------------------------------------------------------------------------------------


def test_the_plaintext_is_compact_utf8_json_in_the_documented_order():
    text = sheet_plaintext("甲2024", "written", "V1/王", {"K1": Decimal("88.5"), "K2": 90}, NONCE)
    assert text == (
        '{"campaign":"甲2024","stage":"written","examiner":"V1/王","nonce":"' + NONCE + '",'
        '"scores":[{"blind_code":"K1","score":88.5},{"blind_code":"K2","score":90}]}'
    ).encode("utf-8")


def test_a_value_that_is_not_a_number_cannot_be_put_in_a_sheet():
    with pytest.raises(TypeError, match="^cannot put object in a sheet$"):
        sheet_plaintext(CAMPAIGN, "written", "V1", {"K1": object()}, NONCE)


def test_a_nonce_given_is_the_one_sealed(campaign_key, vendor):
    body = seal_sheet(CAMPAIGN, "written", "G", {"A": 1}, campaign_key.public_key, vendor.signing_key, nonce=NONCE)
    plaintext = SealedBox(PrivateKey(campaign_key.private_key)).decrypt(base64.b64decode(body["ciphertext"]))
    assert plaintext == sheet_plaintext(CAMPAIGN, "written", "G", {"A": 1}, NONCE)


def test_sealing_for_a_stage_that_is_not_one_says_which_are():
    with pytest.raises(Invalid) as exc:
        seal_sheet(CAMPAIGN, "oral", "G", {}, "", "")
    assert exc.value.errors == {"stage": ["must be one of written, interview"]}


# --- at receipt --------------------------------------------------------------------------------------------------


def test_a_received_sheet_keeps_the_body_as_sent_and_the_ciphertext_s_hash(campaign_key, vendor):
    body = seal_sheet(CAMPAIGN, "written", "G", {"A": 1}, campaign_key.public_key, vendor.signing_key)
    received = verify_receipt(body, CAMPAIGN, vendor.verify_key, "G")
    assert (received.ciphertext, received.signature) == (body["ciphertext"], body["signature"])
    assert received.ciphertext_sha256 == hashlib.sha256(base64.b64decode(body["ciphertext"])).hexdigest()


def test_every_malformed_field_of_a_receipt_has_its_message(vendor):
    body = {"stage": "oral", "examiner": 7, "ciphertext": "***", "commitment": "AB", "signature": ""}
    with pytest.raises(Invalid) as exc:
        verify_receipt(body, CAMPAIGN, vendor.verify_key, "G")
    assert exc.value.errors == {
        "stage": ["must be one of written, interview"],
        "ciphertext": ["is not valid base64"],
        "examiner": ["must be a string: the vendor's code or <vendor code>/<grader>"],
        "commitment": ["must be a lowercase hex SHA-256 digest (64 characters)"],
        "signature": ["must be a non-empty base64 string"],
    }
    with pytest.raises(Invalid) as exc:
        verify_receipt([], CAMPAIGN, vendor.verify_key, "G")
    assert exc.value.errors == {"_body": ["must be a JSON object"]}


def test_a_ciphertext_of_exactly_the_sealed_box_overhead_is_too_short(vendor):
    body = {
        "stage": "written",
        "examiner": "G",
        "ciphertext": base64.b64encode(b"x" * 48).decode(),
        "commitment": "0" * 64,
        "signature": base64.b64encode(b"s" * 64).decode(),
    }
    with pytest.raises(Invalid) as exc:
        verify_receipt(body, CAMPAIGN, vendor.verify_key, "G")
    assert exc.value.errors == {"ciphertext": ["is too short to be a sealed box"]}
    body["ciphertext"] = base64.b64encode(b"x" * 49).decode()
    with pytest.raises(RuleViolation) as exc:
        verify_receipt(body, CAMPAIGN, vendor.verify_key, "G")
    assert exc.value.detail == "the sheet's signature does not verify with the vendor's key"


@pytest.mark.parametrize(
    "stage,detail",
    [
        ("interview", "an interview sheet names exactly the submitting vendor as examiner"),
        ("written", "a written sheet names the submitting vendor, or one of its graders as <vendor>/<grader>"),
    ],
)
def test_an_examiner_the_vendor_may_not_name_is_refused_saying_whom_it_may(stage, detail):
    for examiner in ("V2", None):
        with pytest.raises(RuleViolation) as exc:
            check_examiner(stage, examiner, "V1")
        assert (exc.value.detail, exc.value.code) == (detail, "examiner_mismatch")


# --- at unseal ---------------------------------------------------------------------------------------------------


def test_each_sheet_refused_at_unseal_is_reported_with_its_reason(campaign_key):
    key = campaign_key.public_key
    undecryptable = dict(sealed(plain(), key, sheet_id="u"), ciphertext="bm90IGEgYm94")
    mismatch = dict(sealed(plain(), key, sheet_id="c"), commitment="0" * 64)
    sheets = [
        undecryptable,
        mismatch,
        sealed(b"\xff", key, sheet_id="j"),
        sealed(b"[1]", key, sheet_id="o"),
        sealed(plain(campaign="X"), key, sheet_id="w"),
        sealed(plain(stage="interview"), key, sheet_id="t"),
        sealed(plain(examiner="H"), key, sheet_id="e"),
        sealed(plain(nonce="x"), key, sheet_id="n"),
        sealed(plain(scores={"A": 1}), key, sheet_id="l"),
    ]
    opened = open_sheets(campaign_key.private_key, sheets, CAMPAIGN, "written", ["A"])
    assert opened.sheets == []
    assert problems(opened) == [
        {"sheet": "u", "code": "undecryptable", "detail": "the ciphertext does not open with the campaign key"},
        {"sheet": "c", "code": "commitment_mismatch", "detail": "the plaintext does not match the sheet's commitment"},
        {"sheet": "j", "code": "malformed", "detail": "the plaintext is not UTF-8 JSON"},
        {"sheet": "o", "code": "malformed", "detail": "the plaintext is not a JSON object"},
        {"sheet": "w", "code": "wrong_campaign", "detail": "the sheet names another campaign"},
        {"sheet": "t", "code": "wrong_stage", "detail": "the sheet is not for the written stage"},
        {
            "sheet": "e",
            "code": "examiner_mismatch",
            "detail": "the plaintext names another examiner than the signed one",
        },
        {"sheet": "n", "code": "invalid_nonce", "detail": "the plaintext has no nonce of 64 lowercase hex characters"},
        {"sheet": "l", "code": "malformed", "detail": "the sheet's scores are not a list"},
    ]


def test_an_examiner_not_drawn_is_reported_with_its_reason(campaign_key):
    sheet = sealed(plain(stage="interview"), campaign_key.public_key)
    opened = open_sheets(campaign_key.private_key, [sheet], CAMPAIGN, "interview", ["A"], examiners=["H"])
    assert problems(opened) == [
        {"sheet": "s1", "code": "unknown_examiner", "detail": "the sheet's examiner was not drawn for this stage"}
    ]


def test_a_sheet_signed_with_an_empty_examiner_is_not_scored(campaign_key):
    sheet = sealed(plain(examiner=""), campaign_key.public_key, examiner="")
    opened = open_sheets(campaign_key.private_key, [sheet], CAMPAIGN, "written", ["A"])
    assert opened.sheets == [] and [p.code for p in opened.problems] == ["examiner_mismatch"]


def test_each_entry_left_out_is_reported_with_its_sheet_code_and_reason(campaign_key):
    entries = [
        "not an entry",
        {"blind_code": "", "score": 5},
        {"blind_code": "A", "score": 1},
        {"blind_code": "A", "score": 2},
        {"blind_code": "A", "score": 3},
        {"blind_code": "B", "score": "5"},
        {"blind_code": "C", "score": 101},
        {"blind_code": "Z", "score": 5},
        {"blind_code": "D", "score": 100},
    ]
    sheet = sealed(plain(scores=entries), campaign_key.public_key, sheet_id=7)
    opened = open_sheets(campaign_key.private_key, [sheet], CAMPAIGN, "written", ["A", "B", "C", "D"])
    assert [(s.sheet, s.examiner, s.scores) for s in opened.sheets] == [("7", "G", {"D": 100})]
    assert problems(opened) == [
        {"sheet": "7", "code": "malformed_entry", "detail": "score entry 0 has no blind code"},
        {"sheet": "7", "code": "malformed_entry", "detail": "score entry 1 has no blind code"},
        {
            "sheet": "7",
            "code": "duplicate_blind_code",
            "detail": "the sheet scores this blind code more than once",
            "blind_code": "A",
        },
        {"sheet": "7", "code": "invalid_score", "detail": "the score is not a number", "blind_code": "B"},
        {"sheet": "7", "code": "score_out_of_range", "detail": "the score is outside 0–100", "blind_code": "C"},
        {
            "sheet": "7",
            "code": "unknown_blind_code",
            "detail": "no candidate of this stage has this blind code",
            "blind_code": "Z",
        },
    ]


# --- a long list as several sheets -------------------------------------------------------------------------------


def scores_of(n):
    return [{"blind_code": f"K{i:03d}", "score": i % 101} for i in range(n)]


def opened_scores(campaign_key, bodies):
    sheets = [
        dict(id=str(i), **{k: b[k] for k in ("examiner", "ciphertext", "commitment")}) for i, b in enumerate(bodies)
    ]
    opened = open_sheets(campaign_key.private_key, sheets, CAMPAIGN, "written", {f"K{i:03d}" for i in range(1000)})
    assert opened.problems == []
    return [list(s.scores) for s in opened.sheets]


def test_a_list_well_within_the_limit_is_sealed_as_one_sheet(campaign_key, vendor):
    scores = scores_of(3)
    bodies = seal_sheets(CAMPAIGN, "written", "G", scores, campaign_key.public_key, vendor.signing_key, 100_000)
    assert opened_scores(campaign_key, bodies) == [["K000", "K001", "K002"]]


def test_a_long_list_is_split_into_bodies_that_fit_keeping_every_score_in_order(campaign_key, vendor):
    scores = scores_of(60)
    limit = 1500
    bodies = seal_sheets(CAMPAIGN, "written", "G", scores, campaign_key.public_key, vendor.signing_key, limit)
    assert len(bodies) > 1 and all(body_size(b) <= limit for b in bodies)
    assert [code for sheet in opened_scores(campaign_key, bodies) for code in sheet] == [
        s["blind_code"] for s in scores
    ]


def test_two_scores_that_fit_only_one_by_one_are_sealed_as_two_sheets(campaign_key, vendor):
    scores = scores_of(2)
    single = seal_sheet(CAMPAIGN, "written", "G", scores[:1], campaign_key.public_key, vendor.signing_key)
    limit = body_size(single) + 2
    bodies = seal_sheets(CAMPAIGN, "written", "G", scores, campaign_key.public_key, vendor.signing_key, limit)
    assert opened_scores(campaign_key, bodies) == [["K000"], ["K001"]]


def test_a_part_too_large_is_halved_until_each_fits_even_at_exactly_the_limit(campaign_key, vendor):
    # Two long codes land in one part of the first guess; halved, each fills a body of exactly the limit.
    long = [{"blind_code": "A" * 2500, "score": 1}, {"blind_code": "B" * 2500, "score": 2}]
    short = [{"blind_code": "C", "score": 3}, {"blind_code": "D", "score": 4}]
    one = seal_sheet(CAMPAIGN, "written", "G", long[:1], campaign_key.public_key, vendor.signing_key)
    limit = body_size(one)
    bodies = seal_sheets(CAMPAIGN, "written", "G", long + short, campaign_key.public_key, vendor.signing_key, limit)
    assert [body_size(b) for b in bodies][:2] == [limit, limit]
    sheets = [
        dict(id=str(i), **{k: b[k] for k in ("examiner", "ciphertext", "commitment")}) for i, b in enumerate(bodies)
    ]
    opened = open_sheets(campaign_key.private_key, sheets, CAMPAIGN, "written", {"A" * 2500, "B" * 2500, "C", "D"})
    assert [list(s.scores) for s in opened.sheets] == [["A" * 2500], ["B" * 2500], ["C", "D"]]


def test_an_empty_list_is_one_empty_sheet(campaign_key, vendor):
    bodies = seal_sheets(CAMPAIGN, "written", "G", [], campaign_key.public_key, vendor.signing_key, 100_000)
    assert opened_scores(campaign_key, bodies) == [[]]


def test_a_score_that_fits_in_no_body_is_refused_naming_the_limit(campaign_key, vendor):
    empty = seal_sheet(CAMPAIGN, "written", "G", [], campaign_key.public_key, vendor.signing_key)
    limit = body_size(empty) + 2  # an empty sheet fits, one score does not
    with pytest.raises(Invalid) as exc:
        seal_sheets(CAMPAIGN, "written", "G", scores_of(1), campaign_key.public_key, vendor.signing_key, limit)
    assert exc.value.errors == {"scores": [f"a single score does not fit in {limit} bytes"]}


# --- keys, shares, commitments and base64 ------------------------------------------------------------------------


def test_each_bad_key_is_refused_naming_its_field():
    with pytest.raises(Invalid) as exc:
        parse_verify_key(base64.b64encode(b"k" * 31).decode())
    assert exc.value.errors == {"signing_key": ["must decode to exactly 32 bytes"]}
    with pytest.raises(Invalid) as exc:
        parse_public_key(base64.b64encode(b"k" * 33).decode())
    assert exc.value.errors == {"public_key": ["must decode to exactly 32 bytes"]}
    with pytest.raises(Invalid) as exc:
        load_signing_key(base64.b64encode(b"k" * 31).decode())
    assert exc.value.errors == {"signing_key": ["must decode to exactly 32 bytes"]}
    with pytest.raises(Invalid) as exc:
        load_signing_key(b"k" * 31)
    assert exc.value.errors == {"signing_key": ["must be 32 bytes"]}
    assert bytes(load_signing_key(bytearray(b"k" * 32))) == b"k" * 32


def test_base64_faults_each_have_their_message():
    for value, message in [
        ("", "must be a non-empty base64 string"),
        (b"AAAA", "must be a non-empty base64 string"),
        ("AA=A", "is not valid base64"),
        ("é", "is not valid base64"),
    ]:
        with pytest.raises(Invalid) as exc:
            decode_b64(value, "paper")
        assert exc.value.errors == {"paper": [message]}
    with pytest.raises(Invalid) as exc:
        check_commitment("AB" * 32)
    assert exc.value.errors == {"commitment": ["must be a lowercase hex SHA-256 digest (64 characters)"]}


def test_a_paper_revealed_that_is_not_the_one_committed_to_is_refused_saying_so():
    with pytest.raises(RuleViolation) as exc:
        check_reveal(hashlib.sha256(b"a").hexdigest(), base64.b64encode(b"b").decode())
    assert (exc.value.detail, exc.value.code) == (
        "the revealed paper does not match its commitment",
        "commitment_mismatch",
    )


def test_each_refusal_of_a_campaign_key_or_share_says_why():
    with pytest.raises(Invalid) as exc:
        new_campaign_key(CAMPAIGN, ["wang", "wang"], 1)
    assert exc.value.errors == {"unseal.officers": ["must be a non-empty list of distinct names"]}
    with pytest.raises(Invalid) as exc:
        new_campaign_key(CAMPAIGN, [], 1)
    assert exc.value.errors == {"unseal.officers": ["must be a non-empty list of distinct names"]}
    with pytest.raises(Invalid) as exc:
        split_key(b"k" * 32, 3, 2)
    assert exc.value.errors == {"unseal.threshold": ["must be between 1 and the number of officers (at most 255)"]}
    with pytest.raises(ValueError, match="^the private key must be 32 bytes$"):
        split_key(b"k" * 31, 1, 1)
    key = new_campaign_key(CAMPAIGN, ["wang"], 1)
    with pytest.raises(Forbidden) as exc:
        check_officer_share(CAMPAIGN, "li", key.key_shares[0]["share"], key.share_hashes)
    assert exc.value.detail == "only the campaign's unsealing officers may give a share"
    with pytest.raises(RuleViolation) as exc:
        decode_share("AAAA")
    assert exc.value.detail == "the share is not a valid share of this campaign's key"


def test_a_campaign_key_can_be_shared_among_255_officers():
    assert len(split_key(b"k" * 32, 2, 255)) == 255


def test_each_officer_gets_their_share_by_name_and_the_campaign_is_in_its_hash():
    key = new_campaign_key(CAMPAIGN, ["wang", "li"], 2)
    assert [s["officer"] for s in key.key_shares] == ["wang", "li"]
    for given in key.key_shares:
        check_officer_share(CAMPAIGN, given["officer"], given["share"], key.share_hashes)
        with pytest.raises(RuleViolation):
            check_officer_share("OTHER", given["officer"], given["share"], key.share_hashes)


def test_a_share_with_characters_outside_base64_is_not_one():
    share = new_campaign_key(CAMPAIGN, ["wang"], 1).key_shares[0]["share"]
    with pytest.raises(RuleViolation):
        decode_share(share[:4] + "\n" + share[4:])
