"""Paper commitments: set outside, committed before the exam, revealed after."""

import base64
import hashlib

import pytest

from services.common.errors import Invalid, RuleViolation
from services.examination.sealing import check_commitment, check_reveal, commitment_of

PAPER = "第一部分 公共基础知识\n".encode("utf-8") * 50


def test_reveal_that_matches():
    commitment = commitment_of(PAPER)
    assert commitment == hashlib.sha256(PAPER).hexdigest()
    assert check_reveal(commitment, base64.b64encode(PAPER).decode()) == PAPER


def test_reveal_of_another_paper():
    with pytest.raises(RuleViolation) as exc:
        check_reveal(commitment_of(PAPER), base64.b64encode(PAPER + b" ").decode())
    assert exc.value.code == "commitment_mismatch"


def test_reveal_that_is_not_base64():
    with pytest.raises(Invalid) as exc:
        check_reveal(commitment_of(PAPER), "***")
    assert list(exc.value.errors) == ["paper"]


@pytest.mark.parametrize("value", ["A" * 64, "a" * 63, "g" * 64, None, 7])
def test_commitment_format(value):
    with pytest.raises(Invalid) as exc:
        check_commitment(value)
    assert list(exc.value.errors) == ["commitment"]


def test_commitment_format_accepts_lowercase_hex():
    assert check_commitment("0123456789abcdef" * 4) == "0123456789abcdef" * 4
