"""The verifier's HTTP side: the public read endpoints of the records log, fetched concurrently where they can be."""

import concurrent.futures
import threading

import requests

from services.records.log import tiles
from services.records.log.verify_core import check_hex_path

PAGE_LIMIT = 500
PARALLEL_PAGES = 4
PARALLEL_TILES = 8


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

    def _get_bytes(self, path, session=None):
        url = f"{self.base_url}{path}"
        try:
            response = (session or self.session).get(url, timeout=self.timeout)
        except requests.RequestException as error:
            raise FetchError(f"GET {path}: {error}") from None
        if response.status_code != 200:
            raise FetchError(f"GET {path}: HTTP {response.status_code}")
        return response.content

    def note(self):
        return self._get_bytes("/log/checkpoint")

    def vkey(self):
        document = self._get("/api/v1/records/public-key")
        if not isinstance(document, dict) or not isinstance(document.get("vkey"), str):
            raise FetchError("GET /api/v1/records/public-key: no vkey")
        return document["vkey"]

    def witnesses(self):
        document = self._get("/api/v1/records/witnesses")
        listed = document.get("witnesses") if isinstance(document, dict) else None
        if not isinstance(listed, list) or not all(
            isinstance(w, dict) and isinstance(w.get("vkey"), str) for w in listed
        ):
            raise FetchError("GET /api/v1/records/witnesses: not a list of witnesses")
        return [w["vkey"] for w in listed]

    def tiles(self, wanted, cache=None):
        """``{(level, n, width): [hashes]}`` for the tiles ``wanted``, fetched concurrently; full tiles are
        immutable, so those already in ``cache`` are not fetched again (and a log that serves other
        bytes for one later is caught by the root, not trusted)."""
        cache = {} if cache is None else cache
        local = threading.local()

        def fetch(tile):
            if tile in cache:
                return tile, cache[tile]
            if not hasattr(local, "session"):
                local.session = requests.Session()
            data = self._get_bytes("/log/" + tiles.tile_path(*tile), local.session)
            try:
                hashes = tiles.split_hashes(data, tile[2])
            except tiles.TileError as error:
                raise FetchError(f"GET /log/{tiles.tile_path(*tile)}: {error}") from None
            return tile, hashes

        with concurrent.futures.ThreadPoolExecutor(PARALLEL_TILES) as pool:
            fetched = dict(pool.map(fetch, wanted))
        for tile, hashes in fetched.items():
            if tile[2] == tiles.TILE_WIDTH:
                cache[tile] = hashes
        return fetched

    def consistency(self, first, second):
        answer = self._get("/api/v1/records/consistency", {"from": first, "to": second})
        if not isinstance(answer, dict) or answer.get("from") != first or answer.get("to") != second:
            raise FetchError(f"GET /api/v1/records/consistency: not the proof from {first} to {second}")
        if not check_hex_path(answer.get("path")):
            raise FetchError("GET /api/v1/records/consistency: path is not a list of hex hashes")
        return answer["path"]
