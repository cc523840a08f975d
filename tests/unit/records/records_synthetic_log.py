"""A synthetic records log built with the real log functions, and a tiny HTTP server that serves it."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from services.records.log.checkpoint import public_key_document, sign_checkpoint
from services.records.log.entry import build_log, leaf_hash_of
from services.records.log.merkle import MerkleTree

STAGES = ["motion", "qualification", "consultation", "recommendation", "deliberation", "inspection"]


def fields_for(i, tag="honest"):
    return {
        "subject": f"selection:{i % 3}", "stage": STAGES[i % len(STAGES)],
        "occurred_at": f"2026-03-01T08:{i // 60:02d}:{i % 60:02d}Z", "place": None if i % 2 else "会议室",
        "responsible": "org", "matter": f"step {i} ({tag})", "result": f'{{"n":{i}}}',
        "recorder": "records-service", "correlation_id": f"req-{i}",
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

    def __init__(self, entries, signing_key, checkpoint=None):
        self.signing_key = signing_key
        self.publish(entries, checkpoint)
        self.public_key = public_key_document(signing_key)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                status, body = server.answer(url.path, query, self.headers.get("Authorization"))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
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

    def answer(self, path, query, authorization):
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
