"""Which units are the district's, as examination asks: a request too long or not a list of codes is refused,
never cut short (a code left unchecked would pass as outside the district)."""

import pytest

from services.common.errors import Invalid
from services.common.facts import Remembered
from services.nomination import registry


@pytest.mark.parametrize("codes", ["U1", [1, 2], None, {"U1": True}])
def test_what_is_not_a_list_of_codes_is_refused(codes):
    with pytest.raises(Invalid) as refused:
        registry.local_units(codes)
    assert refused.value.errors == {"codes": ["a list of unit codes"]}


def test_more_codes_than_may_be_asked_are_refused_not_truncated():
    with pytest.raises(Invalid) as refused:
        registry.local_units([f"U{i}" for i in range(registry.LOCAL_UNITS_ASKED_AT_MOST + 1)])
    assert refused.value.errors == {"codes": [f"at most {registry.LOCAL_UNITS_ASKED_AT_MOST} codes"]}


def test_units_once_known_are_answered_without_the_database(monkeypatch):
    # no database is connected in unit tests: a query would raise
    monkeypatch.setattr(registry, "_UNITS", Remembered())
    registry._UNITS.learn({"U1": True, "U2": True})
    assert registry.known_units(["U1", "U2", "U1"]) == {"U1", "U2"}
    assert registry.local_units(["U2", "U1"]) == ["U1", "U2"]
