"""Principal lifecycle with the admin CLI (API.md "Operating it"): a revoked, rotated-out or expired token
answers 401 within 5 seconds and ends the console sessions signed in with it; listing shows no token."""

import json
import subprocess
import time
import uuid
from datetime import datetime, timezone

import pytest
import requests

from tests.harness import PYTHON, REPO, eventually
from tests.web.test_console_access import csrf_of

WITHIN = 5.0


def admin(suite, *args):
    return subprocess.run(
        [PYTHON, "-m", "gateway.admin", *args], cwd=REPO, env=suite.env, capture_output=True, text=True, timeout=60
    )


def created(suite, role="superior", *extra):
    name = f"life-{uuid.uuid4().hex[:8]}"
    out = admin(suite, "create-principal", "--name", name, "--role", role, *extra)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def status(suite, token):
    return requests.get(
        suite.base + "/api/v1/filings?status=overdue", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).status_code


def refused_within(suite, token, seconds=WITHIN):
    started = time.monotonic()
    eventually(lambda: status(suite, token) == 401, timeout=seconds, interval=0.1)
    return time.monotonic() - started


def signed_in(suite, token):
    client = requests.Session()
    page = client.get(suite.base + "/web/login", timeout=30)
    answer = client.post(
        suite.base + "/web/login",
        data={"csrf": csrf_of(page.text), "token": token},
        headers={"Origin": suite.base},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 303, answer.text
    return client


def console_open(suite, client):
    return client.get(suite.base + "/web/console", allow_redirects=False, timeout=30).status_code == 200


def test_create_prints_name_role_token_and_expiry(suite):
    body = created(suite, "superior", "--expires-in", "30")
    assert set(body) == {"name", "role", "token", "expires_at"} and body["expires_at"]
    assert created(suite)["expires_at"] is None


def test_list_shows_each_principal_without_token_or_hash(suite, mongo_principal_hashes):
    body = created(suite)
    out = admin(suite, "list-principals")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    mine = [row for row in rows if row["name"] == body["name"]]
    assert mine and set(mine[0]) == {"name", "role", "created_at", "expires_at", "revoked"}
    assert mine[0]["revoked"] is False
    assert body["token"] not in out.stdout
    assert not any(digest in out.stdout for digest in mongo_principal_hashes())


def test_a_revoked_token_is_401_within_5_seconds_and_its_web_session_ends(suite):
    body = created(suite)
    assert status(suite, body["token"]) == 200
    client = signed_in(suite, body["token"])
    assert console_open(suite, client)
    out = admin(suite, "revoke-principal", "--name", body["name"])
    assert out.returncode == 0, out.stderr
    refused_within(suite, body["token"])
    eventually(lambda: not console_open(suite, client), timeout=WITHIN, interval=0.1)
    listed = [json.loads(line) for line in admin(suite, "list-principals").stdout.splitlines()]
    assert [row["revoked"] for row in listed if row["name"] == body["name"]] == [True]


def test_a_rotated_out_token_is_401_within_5_seconds_and_the_new_one_works(suite):
    body = created(suite)
    assert status(suite, body["token"]) == 200
    client = signed_in(suite, body["token"])
    out = admin(suite, "rotate-token", "--name", body["name"])
    assert out.returncode == 0, out.stderr
    new = json.loads(out.stdout)["token"]
    assert new != body["token"]
    refused_within(suite, body["token"])
    assert status(suite, new) == 200
    eventually(lambda: not console_open(suite, client), timeout=WITHIN, interval=0.1)


def test_a_token_just_rotated_out_cannot_sign_in_even_while_cached(suite):
    body = created(suite)
    assert status(suite, body["token"]) == 200  # now in the gateway's cache
    assert admin(suite, "rotate-token", "--name", body["name"]).returncode == 0
    client = requests.Session()
    page = client.get(suite.base + "/web/login", timeout=30)
    answer = client.post(
        suite.base + "/web/login",
        data={"csrf": csrf_of(page.text), "token": body["token"]},
        headers={"Origin": suite.base},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 401, answer.status_code


def test_an_expired_token_is_401_within_5_seconds(suite):
    body = created(suite, "superior", "--expires-in", "0.00003")  # days: about 2.6 seconds
    assert status(suite, body["token"]) == 200
    client = signed_in(suite, body["token"])
    # refused from its end on, at the latest WITHIN seconds after it
    left = (datetime.fromisoformat(body["expires_at"]) - datetime.now(timezone.utc)).total_seconds()
    refused_within(suite, body["token"], seconds=max(left, 0) + WITHIN)
    eventually(lambda: not console_open(suite, client), timeout=WITHIN, interval=0.1)


@pytest.mark.parametrize(
    "args",
    [
        ["create-principal", "--name", "x", "--role", "nobody"],
        ["create-principal", "--name", "x", "--role", "org", "--expires-in", "-1"],
        ["create-principal", "--name", "x", "--role", "org", "--expires-in", "soon"],
        ["revoke-principal", "--name", "no-such-principal"],
        ["rotate-token", "--name", "no-such-principal"],
        ["no-such-command"],
    ],
)
def test_bad_arguments_exit_non_zero_with_a_one_line_reason(suite, args):
    out = admin(suite, *args)
    assert out.returncode != 0
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_help_shows_an_example(suite):
    out = admin(suite, "--help")
    assert out.returncode == 0 and "example" in out.stdout.lower() and "create-principal" in out.stdout


@pytest.fixture
def mongo_principal_hashes(suite):
    import pymongo

    def hashes():
        client = pymongo.MongoClient(f"mongodb://127.0.0.1:{suite.env['MONGODB_PORT']}", serverSelectionTimeoutMS=10000)
        try:
            return [doc.get("token_hash") for doc in client["gateway"]["principals"].find() if doc.get("token_hash")]
        finally:
            client.close()

    return hashes
