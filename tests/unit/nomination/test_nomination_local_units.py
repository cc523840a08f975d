"""Which units are the district's, as examination asks: a request too long or not a list of codes is refused,
never cut short (a code left unchecked would pass as outside the district)."""

import pytest

from services.common.errors import Invalid
from services.nomination import store


@pytest.mark.parametrize("codes", ["U1", [1, 2], None, {"U1": True}])
def test_what_is_not_a_list_of_codes_is_refused(codes):
    with pytest.raises(Invalid) as refused:
        store.local_units(codes)
    assert refused.value.errors == {"codes": ["a list of unit codes"]}


def test_more_codes_than_may_be_asked_are_refused_not_truncated():
    with pytest.raises(Invalid) as refused:
        store.local_units([f"U{i}" for i in range(store.LOCAL_UNITS_ASKED_AT_MOST + 1)])
    assert refused.value.errors == {"codes": [f"at most {store.LOCAL_UNITS_ASKED_AT_MOST} codes"]}
