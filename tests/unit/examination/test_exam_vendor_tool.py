"""The vendor tool's reading of a scores CSV: every bad row named, nothing sealed from a bad file."""

import json
from decimal import Decimal

import pytest

from services.examination.vendor import Refused, main, read_scores


def test_good_csv_reads_exact_scores(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("\ufeffblind_code,score\nAAA,80\nBBB,72.5\n\n")
    assert read_scores(path) == [{"blind_code": "AAA", "score": 80}, {"blind_code": "BBB", "score": Decimal("72.5")}]


def test_every_bad_row_is_named(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("blind_code,score\nAAA,101\nBBB,x\nCCC,50\nCCC,60\n,5\nDDD,NaN\n")
    with pytest.raises(Refused) as caught:
        read_scores(path)
    message = str(caught.value)
    for row in ("row 2", "row 3", "row 5", "row 6", "row 7"):
        assert row in message


def test_a_wrong_header_is_refused(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("code,mark\nAAA,1\n")
    with pytest.raises(Refused):
        read_scores(path)


def test_seal_with_a_malformed_public_key_exits_2(tmp_path, capsys):
    key = tmp_path / "vendor.key"
    assert main(["keygen", "--out", str(key)]) == 0
    scores = tmp_path / "s.csv"
    scores.write_text("blind_code,score\nAAA,1\n")
    code = main(
        [
            "seal",
            "--campaign",
            "C",
            "--stage",
            "written",
            "--examiner",
            "e",
            "--public-key",
            "short",
            "--signing-key",
            str(key),
            "--csv",
            str(scores),
        ]
    )
    assert code == 2 and "public_key" in capsys.readouterr().err


@pytest.mark.parametrize(
    "stage,examiner", [("interview", "V1/g1"), ("written", "V1/"), ("written", "V1/a b"), ("written", "")]
)
def test_seal_refuses_an_examiner_of_the_wrong_shape(tmp_path, capsys, stage, examiner):
    key = tmp_path / "vendor.key"
    assert main(["keygen", "--out", str(key)]) == 0
    scores = tmp_path / "s.csv"
    scores.write_text("blind_code,score\nAAA,1\n")
    code = main(
        [
            "seal",
            "--campaign",
            "C",
            "--stage",
            stage,
            "--examiner",
            examiner,
            "--public-key",
            "short",
            "--signing-key",
            str(key),
            "--csv",
            str(scores),
        ]
    )
    assert code == 2 and "--examiner" in capsys.readouterr().err


def test_seal_prints_a_v2_body_naming_the_examiner(tmp_path, capsys):
    from services.examination.sealing.keys import new_campaign_keypair

    key = tmp_path / "vendor.key"
    assert main(["keygen", "--out", str(key)]) == 0
    capsys.readouterr()
    scores = tmp_path / "s.csv"
    scores.write_text("blind_code,score\nAAA,1\n")
    public = new_campaign_keypair().public_key
    assert (
        main(
            [
                "seal",
                "--campaign",
                "C",
                "--stage",
                "written",
                "--examiner",
                "V1/g1",
                "--public-key",
                public,
                "--signing-key",
                str(key),
                "--csv",
                str(scores),
            ]
        )
        == 0
    )
    body = json.loads(capsys.readouterr().out)
    assert body["examiner"] == "V1/g1" and set(body) == {"stage", "examiner", "ciphertext", "commitment", "signature"}
