"""One suite for the hostile-input tests, with the production rate limits of public endpoints."""

import pytest

from gateway import authz
from tests.harness import Suite

ROLES = authz.ROLES  # every role of the authorization table


@pytest.fixture(scope="package")
def suite():
    running = Suite(PUBLIC_RATE_PER_SECOND=5, PUBLIC_RATE_BURST=20, LOG_LEVEL="WARNING").start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="package")
def api(suite):
    for role in ROLES:
        suite.api.principal(f"hostile-{role}", role)
        if role != "vendor":  # the e2e helpers act as principals named after their role
            suite.api.principal(role, role)
    return suite.api
