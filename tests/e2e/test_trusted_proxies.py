"""Behind an ingress (TRUSTED_PROXIES=1, as deploy/ sets it): the client address the rate limits use is the
one the ingress appended to X-Forwarded-For, and a request that came over HTTPS gets HSTS and Secure cookies."""

import pytest
import requests

from tests.harness import Suite


@pytest.fixture(scope="module")
def suite():
    running = Suite(TRUSTED_PROXIES="1").start()
    try:
        yield running
    finally:
        running.stop()


def forged(suite, forwarded_for, n):
    return requests.post(
        suite.base + "/api/v1/ballots",
        json={"token": f"nosuch.forged-{n}", "choices": []},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=30,
    ).status_code


def test_each_forwarded_client_has_its_own_limit(suite):
    # one peer (the "ingress") carrying 25 different clients: none of them is over its limit
    assert {forged(suite, f"198.51.100.{n}", n) for n in range(25)} == {403}


def test_one_forwarded_client_is_limited_whatever_it_prepends(suite):
    # the client forges the left part; the right-most entry is what the (trusted) ingress appended
    statuses = [forged(suite, f"6.6.6.{n}, 203.0.113.77", n) for n in range(25)]
    assert statuses[:20] == [403] * 20 and set(statuses[20:]) == {429}, statuses


def test_https_through_the_proxy_gets_hsts_and_secure_cookies(suite):
    api = requests.get(suite.base + "/api/v1/notices", headers={"X-Forwarded-Proto": "https"}, timeout=30)
    assert api.headers["Strict-Transport-Security"].startswith("max-age=")
    page = requests.get(suite.base + "/web/ballot", headers={"X-Forwarded-Proto": "https"}, timeout=30)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "secure" in page.headers["Set-Cookie"].lower()
    plain = requests.get(suite.base + "/web/ballot", headers={"X-Forwarded-Proto": "http"}, timeout=30)
    assert "Strict-Transport-Security" not in plain.headers
    assert "secure" not in plain.headers["Set-Cookie"].lower()
