"""The wait of a service asking another: never past the gateway's deadline less a margin."""

from services.common.asking import MARGIN_SECONDS, ask_timeout


def test_the_limit_when_the_gateway_deadline_is_far():
    assert ask_timeout("1010.000", 1000.0, 3.0) == 3.0


def test_cut_to_what_is_left_of_the_gateway_deadline():
    assert ask_timeout("1002.000", 1000.0, 3.0) == 2.0 - MARGIN_SECONDS


def test_nothing_left_once_the_deadline_is_near():
    assert ask_timeout("1000.200", 1000.0, 3.0) <= 0


def test_no_or_unreadable_deadline_gives_the_limit():
    assert ask_timeout(None, 1000.0, 3.0) == 3.0
    assert ask_timeout("soon", 1000.0, 3.0) == 3.0
