"""A synthetic records log built with the real log functions, and a tiny HTTP server that serves it
(API.md's JSON read endpoints and the C2SP signed-note checkpoint, witness cosignatures and hash tiles)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from services.records.log.checkpoint import public_key_document, sign_checkpoint
from services.records.log.entry import build_log, leaf_hash_of
from services.records.log import note, tiles
from services.records.log.merkle import MerkleTree

ORIGIN = "cadre-selection.example/records"

STAGES = ["motion", "qualification", "consultation", "recommendation", "deliberation", "inspection"]


def fields_for(i, tag="honest"):
    return {
        "subject": f"selection:{i % 3}",
        "stage": STAGES[i % len(STAGES)],
        "occurred_at": f"2026-03-01T08:{i // 60:02d}:{i % 60:02d}Z",
        "place": None if i % 2 else "会议室",
        "responsible": "org",
        "matter": f"step {i} ({tag})",
        "result": f'{{"n":{i}}}',
        "recorder": "records-service",
        "correlation_id": f"req-{i}",
    }


def make_log(count, tag="honest"):
    return build_log(fields_for(i, tag) for i in range(count))


def tree_of(entries):
    return MerkleTree(bytes.fromhex(e["leaf_hash"]) for e in entries)


def checkpoint_of(entries, signing_key, size=None, timestamp="2026-03-02T00:00:00Z"):
    size = len(entries) if size is None else size
    return sign_checkpoint(signing_key, size, tree_of(entries).root(size).hex(), timestamp)


def rehash(entries):
    """Recompute every leaf hash and prev_hash link, as a forger who rewrites the listing would."""
    fixed, previous = [], "0" * 64
    for entry in entries:
        entry = dict(entry, prev_hash=previous)
        entry["leaf_hash"] = leaf_hash_of(entry)
        previous = entry["leaf_hash"]
        fixed.append(entry)
    return fixed


class LogServer:
    """Serves API.md's four read endpoints over ``entries``; attributes may be swapped between requests."""

    PAGE_CAP = 7  # smaller than the client's limit, so every listing spans pages
    TOKEN = "auditor-token"

    def __init__(self, entries, signing_key, checkpoint=None, witness_keys=()):
        self.signing_key = signing_key
        # name → key of witnesses that cosign whatever this log serves (a fooled or colluding witness)
        self.witness_keys = {f"witness.example/w{i}": key for i, key in enumerate(witness_keys)}
        self.publish(entries, checkpoint)
        self.public_key = dict(public_key_document(signing_key), vkey=note.log_vkey(ORIGIN, signing_key))
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                status, body = server.answer(url.path, query, self.headers.get("Authorization"))
                payload, content_type = (
                    (body, "application/octet-stream")
                    if isinstance(body, bytes)
                    else (json.dumps(body).encode(), "application/json")
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def publish(self, entries, checkpoint=None):
        self.entries = entries
        self.tree = tree_of(entries)
        self.checkpoint = checkpoint or checkpoint_of(entries, self.signing_key)

    def note(self):
        """The C2SP note of the served checkpoint, signed by the log and cosigned by every witness key."""
        size, root = self.checkpoint["size"], bytes.fromhex(self.checkpoint["root"])
        text = note.checkpoint_text(ORIGIN, size, root)
        lines = [note.cosign(text, name, key, int(time.time())) for name, key in self.witness_keys.items()]
        return note.signed_checkpoint(ORIGIN, size, root, self.signing_key, lines).encode()

    def answer(self, path, query, authorization):
        if path == "/log/checkpoint":
            return 200, self.note()
        if path.startswith("/log/tile/"):
            level, rest = path[len("/log/tile/") :].split("/", 1)
            level, n, width = tiles.parse_tile_path(level, rest)
            try:
                return 200, tiles.tile_bytes(self.tree, level, n, width)
            except tiles.TileError:
                return 404, {"code": "not_found"}
        if path == "/api/v1/records/witnesses":
            return 200, {
                "witnesses": [
                    {"name": name, "vkey": note.witness_vkey(name, key), "url": "http://w.example"}
                    for name, key in self.witness_keys.items()
                ]
            }
        if path == "/api/v1/records":
            if authorization != f"Bearer {self.TOKEN}":
                return 401, {"code": "unauthorized"}
            start = int(query.get("cursor", 0))
            end = start + min(int(query.get("limit", 50)), self.PAGE_CAP)
            next_cursor = str(end) if end < len(self.entries) else None
            return 200, {"items": self.entries[start:end], "next_cursor": next_cursor}
        if path == "/api/v1/records/checkpoint":
            return 200, self.checkpoint
        if path == "/api/v1/records/public-key":
            return 200, self.public_key
        if path.startswith("/api/v1/records/") and path.endswith("/proof"):
            seq, size = int(path.split("/")[4]), int(query.get("size", self.checkpoint["size"]))
            if not seq < size <= self.tree.size:
                return 404, {"code": "not_found"}
            return 200, {
                "index": seq,
                "size": size,
                "leaf_hash": self.tree.leaf(seq).hex(),
                "path": [node.hex() for node in self.tree.inclusion_proof(seq, size)],
            }
        if path == "/api/v1/records/consistency":
            first, second = int(query["from"]), int(query["to"])
            if second > self.tree.size:
                return 404, {"code": "not_found"}
            path_hex = [node.hex() for node in self.tree.consistency_proof(first, second)]
            return 200, {"from": first, "to": second, "path": path_hex}
        return 404, {"code": "not_found"}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
