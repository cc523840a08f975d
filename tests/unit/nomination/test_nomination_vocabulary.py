"""Ranks, categories, modes, slate ratio and codes."""

import pytest

from services.common.errors import Invalid
from services.nomination.domain import vocabulary as v


def test_ranks_are_ordered_clerk_deputy_section_section():
    assert [v.rank_level(r) for r in ("clerk", "deputy_section", "section")] == [0, 1, 2]


@pytest.mark.parametrize("bad", ["Section", "deputy", "", None, 2])
def test_unknown_rank_is_a_400_naming_the_field(bad):
    with pytest.raises(Invalid) as exc:
        v.validate_rank(bad, field="conditions.min_rank")
    assert exc.value.code == "invalid"
    assert list(exc.value.errors) == ["conditions.min_rank"]


@pytest.mark.parametrize(
    "category,mode",
    [
        ("key_leadership", "plenary_recommendation"),
        ("promotion", "democratic_recommendation"),
        ("lateral_transfer", "org_recommendation"),
        ("public_selection", "public_selection"),
    ],
)
def test_mode_follows_from_category(category, mode):
    assert v.mode_for(category) == mode


@pytest.mark.parametrize("bad", ["leadership", "", None])
def test_unknown_category_is_a_400(bad):
    with pytest.raises(Invalid) as exc:
        v.validate_category(bad)
    assert "category" in exc.value.errors


def test_slate_ratio_is_two_when_competitive_else_one():
    assert v.slate_ratio(True) == 2
    assert v.slate_ratio(False) == 1


@pytest.mark.parametrize("good", ["a", "U-1_x", "A" * 64])
def test_codes_accepted(good):
    assert v.validate_code(good) == good


@pytest.mark.parametrize("bad", ["", "A" * 65, "has space", "汉字", None, 5])
def test_codes_rejected(bad):
    with pytest.raises(Invalid):
        v.validate_code(bad)
