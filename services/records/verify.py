"""Independent verifier of the records log: ``python -m services.records.verify --url URL [--state FILE]``.

Fetches the signed checkpoint, the public key and the full listing, recomputes every
leaf hash, the chain and the root, and checks that the log only grew since the
checkpoint this machine verified last (kept in the state file). Prints one line.
Exit status: 0 all checks hold; 1 a check failed; 2 the log could not be fetched.
"""
import argparse
import concurrent.futures
import json
import os
import sys
import tempfile
import threading

import requests

from services.common.cli import glue_token_value
from services.records.log.verify_core import VerifyResult, check_hex_path, verify_log

DEFAULT_STATE = os.path.join("~", ".cadre-verify.json")
PAGE_LIMIT = 500
PARALLEL_PAGES = 4
EXIT_OK, EXIT_FAILED, EXIT_UNREACHABLE = 0, 1, 2


class FetchError(Exception):
    """The server did not give an answer the verifier can use."""


class LogClient:
    """The four public read endpoints of API.md "Records" the verifier needs."""

    def __init__(self, base_url, token=None, timeout=30.0, session=None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def _get(self, path, params=None, session=None):
        url = f"{self.base_url}{path}"
        try:
            response = (session or self.session).get(url, params=params, timeout=self.timeout)
        except requests.RequestException as error:
            raise FetchError(f"GET {path}: {error}") from None
        if response.status_code != 200:
            raise FetchError(f"GET {path}: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise FetchError(f"GET {path}: not JSON") from None

    def checkpoint(self):
        return self._get("/api/v1/records/checkpoint")

    def public_key(self):
        document = self._get("/api/v1/records/public-key")
        if not isinstance(document, dict) or not isinstance(document.get("public_key"), str):
            raise FetchError("GET /api/v1/records/public-key: no public_key")
        return document["public_key"]

    def _page(self, cursor, session=None):
        params = {"limit": PAGE_LIMIT}
        if cursor is not None:
            params["cursor"] = cursor
        page = self._get("/api/v1/records", params, session)
        if not isinstance(page, dict) or not isinstance(page.get("items"), list):
            raise FetchError("GET /api/v1/records: not a page of items")
        return page

    def entries(self, size_hint=None):
        """The whole listing. When the server's cursors are seq numbers (as this log's are) and the
        checkpoint size is known, the pages up to it are fetched concurrently; every page's
        ``next_cursor`` must still be the next page's start, so nothing is taken on trust."""
        entries, cursor, seen = [], None, set()
        page = self._page(None)
        entries.extend(page["items"])
        cursor = page.get("next_cursor")
        if cursor is not None and cursor.isdigit() and size_hint and int(cursor) < size_hint:
            starts = [str(start) for start in range(int(cursor), size_hint, PAGE_LIMIT)]
            local = threading.local()

            def fetch(start):
                if not hasattr(local, "session"):
                    local.session = requests.Session()
                    local.session.headers.update(self.session.headers)
                return start, self._page(start, local.session)

            with concurrent.futures.ThreadPoolExecutor(PARALLEL_PAGES) as pool:
                for start, page in pool.map(fetch, starts):
                    if start != cursor:
                        break  # the server paged differently: go on one page at a time from here
                    seen.add(cursor)
                    entries.extend(page["items"])
                    cursor = page.get("next_cursor")
                    if cursor is None:
                        return entries
        while cursor is not None:
            if cursor in seen:
                raise FetchError("GET /api/v1/records: the cursor went round in a loop")
            seen.add(cursor)
            page = self._page(cursor)
            entries.extend(page["items"])
            cursor = page.get("next_cursor")
        return entries

    def consistency(self, first, second):
        answer = self._get("/api/v1/records/consistency", {"from": first, "to": second})
        if not isinstance(answer, dict) or answer.get("from") != first or answer.get("to") != second:
            raise FetchError(f"GET /api/v1/records/consistency: not the proof from {first} to {second}")
        if not check_hex_path(answer.get("path")):
            raise FetchError("GET /api/v1/records/consistency: path is not a list of hex hashes")
        return answer["path"]


def load_state(path):
    """The state file: ``{base_url: {"checkpoint": ..., "public_key": ...}}``; empty when absent."""
    try:
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle)
    except FileNotFoundError:
        return {}
    if not isinstance(state, dict):
        raise ValueError(f"{path} is not a verifier state file")
    return state


def save_state(path, state):
    """Write the state atomically, so a crash never leaves half a trusted checkpoint."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".cadre-verify-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(state, out, indent=2, sort_keys=True)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def run(client, remembered, pinned_key=None):
    """Fetch and verify; return ``(VerifyResult, checkpoint, public_key)``.

    ``remembered`` is this log's state-file record (or None). The checkpoint is
    fetched before the listing so that the listing can only be longer than it.
    """
    checkpoint = client.checkpoint()
    public_key = client.public_key()
    trusted_key = pinned_key or (remembered or {}).get("public_key")
    if trusted_key and trusted_key != public_key:
        return VerifyResult(False, None, "public key: the log now serves a different key than the one trusted"), \
            checkpoint, public_key
    size_hint = checkpoint.get("size") if isinstance(checkpoint, dict) and isinstance(checkpoint.get("size"), int) else None
    entries = client.entries(size_hint)
    previous = (remembered or {}).get("checkpoint")
    path = None
    if previous is not None and isinstance(checkpoint, dict):
        old_size, new_size = previous.get("size"), checkpoint.get("size")
        if isinstance(old_size, int) and isinstance(new_size, int) and 0 < old_size < new_size:
            path = client.consistency(old_size, new_size)
    return verify_log(entries, checkpoint, public_key, previous, path), checkpoint, public_key


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m services.records.verify", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="gateway base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--state", default=DEFAULT_STATE, help="where the last verified checkpoint is kept")
    parser.add_argument("--token", default=os.environ.get("CADRE_TOKEN"),
                        help="bearer token of an org, committee, superior or auditor principal "
                             "(the listing is not public); default $CADRE_TOKEN")
    parser.add_argument("--public-key", help="base64 Ed25519 public key to trust instead of the one first seen")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request")
    return parser.parse_args(glue_token_value(argv))


def main(argv=None):
    args = parse_args(argv)
    state_path = os.path.expanduser(args.state)
    base_url = args.url.rstrip("/")
    try:
        state = load_state(state_path)
    except (OSError, ValueError) as error:
        print(f"ERROR: cannot read state: {error}")
        return EXIT_UNREACHABLE
    remembered = state.get(base_url)
    if remembered is not None and not (isinstance(remembered, dict)
                                       and isinstance(remembered.get("checkpoint"), dict)):
        print(f"ERROR: state file {state_path} holds no usable checkpoint for {base_url}")
        return EXIT_UNREACHABLE
    try:
        result, checkpoint, public_key = run(LogClient(base_url, args.token, args.timeout), remembered, args.public_key)
    except FetchError as error:
        print(f"ERROR: {error}")
        return EXIT_UNREACHABLE
    if not result.ok:
        where = f"first bad seq {result.first_bad_seq}: " if result.first_bad_seq is not None else ""
        print(f"FAIL: {where}{result.message}")
        return EXIT_FAILED
    state[base_url] = {"checkpoint": checkpoint, "public_key": public_key}
    save_state(state_path, state)
    print(f"OK: {result.message}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
