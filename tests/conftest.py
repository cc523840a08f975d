"""Shared fixtures: one throw-away suite per test session for e2e tests."""

import pytest

from tests.harness import Suite


@pytest.fixture(scope="session")
def suite():
    """The whole suite, started as `make run` starts it, shared by the e2e tests of a session."""
    running = Suite().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def api(suite):
    api = suite.api
    for role in (
        "org",
        "committee",
        "discipline",
        "audit",
        "family_planning",
        "petition",
        "superior",
        "officer",
        "auditor",
    ):
        api.principal(role, role)
    return api
