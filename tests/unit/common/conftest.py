"""Fixtures the chassis's unit tests share."""

import pytest

from services.common import signing


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A throw-away data dir where no party's key is known but those a test makes or configures."""
    monkeypatch.setenv("CADRE_DATA_DIR", str(tmp_path))
    for party in signing.PARTIES:
        for kind in ("SIGNING_KEY", "PUBLIC_KEY"):
            monkeypatch.delenv(f"{party.upper()}_{kind}", raising=False)
    return tmp_path
