"""Principal lifecycle rules without a database: liveness, expiry, and the admin CLI's arguments."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from gateway import admin, auth
from services.common.errors import Invalid

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def principal(revoked_at=None, expires_at=None):
    return SimpleNamespace(revoked_at=revoked_at, expires_at=expires_at)


def test_a_principal_is_live_until_revoked_or_expired():
    assert auth.is_live(principal(), NOW)
    assert not auth.is_live(principal(revoked_at=NOW), NOW)
    assert auth.is_live(principal(expires_at=NOW + timedelta(seconds=1)), NOW)
    assert not auth.is_live(principal(expires_at=NOW), NOW)
    assert not auth.is_live(principal(expires_at=(NOW - timedelta(seconds=1)).replace(tzinfo=None)), NOW)


def test_expiry_is_days_from_now_and_refuses_nonsense():
    assert auth.expiry(None, NOW) is None
    assert auth.expiry(1.5, NOW) == NOW + timedelta(hours=36)
    for bad in (0, -1, float("nan"), float("inf"), 10**6, "3"):
        with pytest.raises(Invalid):
            auth.expiry(bad, NOW)


def test_the_cache_never_outlives_two_seconds():
    assert auth.CACHE_SECONDS <= 2.0


@pytest.mark.parametrize(
    "argv",
    [
        ["create-principal", "--name", "x", "--role", "nobody"],
        ["create-principal", "--name", "x", "--role", "org", "--expires-in", "0"],
        ["create-principal", "--name", "x", "--role", "org", "--expires-in", "soon"],
        ["revoke-principal"],
        [],
    ],
)
def test_bad_arguments_are_one_line_and_non_zero(argv, capsys):
    with pytest.raises(SystemExit) as info:
        admin.parser().parse_args(argv)
    assert info.value.code != 0
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_help_has_examples_of_every_command(capsys):
    with pytest.raises(SystemExit):
        admin.parser().parse_args(["--help"])
    out = capsys.readouterr().out
    for command in ("create-principal", "list-principals", "revoke-principal", "rotate-token"):
        assert f"python -m gateway.admin {command}" in out
