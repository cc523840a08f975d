"""A C2SP tlog-witness for the records log, run by a department other than the log's operator:
``python -m services.records.witness [--log VKEY ...] [--data-dir DIR] [--port P] [--name NAME]``.

It serves ``POST /add-checkpoint`` (c2sp.org/tlog-witness) and answers with a cosignature/v1 line
(c2sp.org/tlog-cosignature) from its own Ed25519 key. Its state is one small JSON file in its own
data directory, ``{origin: {"size", "root"}}``, the latest checkpoint it cosigned per log; each
request reads it, checks and rewrites it under one lock (a thread lock and an ``flock`` on
``state.lock``, so two processes on one directory cannot race either), and the new state is on
disk (written to a temporary file, fsynced, renamed over the old one, directory fsynced) before
the cosignature is sent. A kill -9 leaves either the old state or the new one, never half.

``--print-vkey`` prints the witness's verifier key (type 0x04) for the log operator and exits.
"""

import base64
import fcntl
import json
import logging
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from nacl.signing import SigningKey

from services.common import config, keyfiles
from services.common.cli import Parser
from services.records.log import note, witnessing

log = logging.getLogger("witness")

KEY_FILE = "witness.key"
STATE_FILE = "state.json"
LOCK_FILE = "state.lock"


def load_key(data_dir, configured=None):
    """``configured`` (base64 32-byte seed), else the key generated once into ``data_dir/witness.key``."""
    if configured:
        return SigningKey(base64.b64decode(configured, validate=True))
    text = keyfiles.read_or_create(
        Path(data_dir) / KEY_FILE, lambda: base64.b64encode(bytes(SigningKey.generate())).decode("ascii")
    )
    return SigningKey(base64.b64decode(text, validate=True))


class StateFile:
    """The latest cosigned checkpoint per origin, read and replaced whole under one lock."""

    def __init__(self, data_dir):
        self.dir = Path(data_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / STATE_FILE
        self.lock_path = self.dir / LOCK_FILE
        self.thread_lock = threading.Lock()

    def read(self):
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {origin: (entry["size"], base64.b64decode(entry["root"])) for origin, entry in raw.items()}

    def write(self, state):
        document = {
            origin: {"size": size, "root": base64.b64encode(root).decode("ascii")}
            for origin, (size, root) in state.items()
        }
        handle, temporary = tempfile.mkstemp(dir=self.dir, prefix=".state-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(document, out, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        directory = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def transact(self, decide):
        """Run ``decide(state)`` → Decision and persist its ``new_state`` before returning, atomically."""
        with self.thread_lock, open(self.lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = self.read()
                decision = decide(state)
                if decision.new_state is not None:
                    origin, size, root = decision.new_state
                    state[origin] = (size, root)
                    self.write(state)
                return decision
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


class Witness:
    """The witness's identity, the logs it trusts and its state: ``add_checkpoint(body) → Decision``."""

    def __init__(self, name, signing_key, log_vkeys, data_dir, clock=time.time):
        self.name = note.check_name(name)
        self.key = signing_key
        self.logs = {}
        for text in log_vkeys:
            verifier = note.parse_vkey(text)
            if verifier.type != note.ED25519:
                raise ValueError(f"{text!r} is not a log's Ed25519 note key")
            self.logs.setdefault(verifier.name, []).append(verifier)
        self.state = StateFile(data_dir)
        self.clock = clock

    @property
    def vkey(self):
        return note.witness_vkey(self.name, self.key)

    def add_checkpoint(self, body):
        decision = self.state.transact(
            lambda state: witnessing.decide(body, self.logs, state, self.name, self.key, self.clock())
        )
        log.info("add-checkpoint: %d", decision.status)
        return decision


def make_handler(witness):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "cadre-witness"
        # headers and body go out as two writes: without this, Nagle and delayed ACKs add ~40 ms a request
        disable_nagle_algorithm = True

        def _answer(self, status, body, content_type="text/plain; charset=utf-8"):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            if self.path.split("?", 1)[0] != "/add-checkpoint":
                return self._answer(404, b"not found\n")
            try:
                length = int(self.headers.get("Content-Length") or "")
            except ValueError:
                return self._answer(411, b"a Content-Length is required\n")
            if not 0 <= length <= witnessing.MAX_BODY_BYTES:
                return self._answer(413, b"the body is too large\n")
            decision = witness.add_checkpoint(self.rfile.read(length))
            self._answer(decision.status, decision.body, decision.content_type)

        def do_GET(self):
            if self.path == "/health":
                return self._answer(200, b"ok\n")
            if self.path == "/vkey":
                return self._answer(200, (witness.vkey + "\n").encode("ascii"))
            return self._answer(404, b"not found\n")

        def log_message(self, fmt, *args):
            log.debug(fmt, *args)

    return Handler


def parse_args(argv):
    parser = Parser(
        prog="python -m services.records.witness",
        description=__doc__.splitlines()[0],
        examples="""
  python -m services.records.witness --name witness.discipline.example --log "$LOG_VKEY" --port 8710
  python -m services.records.witness --print-vkey      # the key to list in RECORDS_WITNESSES""",
    )
    parser.add_argument(
        "--name", default=config.get("WITNESS_NAME"), help="the witness's key name (default $WITNESS_NAME)"
    )
    parser.add_argument(
        "--log",
        action="append",
        default=None,
        help="verifier key of a log to witness (repeatable; default $WITNESS_LOGS, comma-separated)",
    )
    parser.add_argument(
        "--data-dir",
        default=config.get("WITNESS_DATA_DIR") or str(config.data_dir() / "witness"),
        help="the witness's own key and state (default $WITNESS_DATA_DIR or $CADRE_DATA_DIR/witness)",
    )
    parser.add_argument("--host", default=config.get("WITNESS_HOST"))
    parser.add_argument("--port", type=int, default=config.get_int("WITNESS_PORT"))
    parser.add_argument("--print-vkey", action="store_true", help="print the witness's verifier key and exit")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=config.get("LOG_LEVEL"), format='{"process": "witness", "message": "%(message)s"}')
    key = load_key(args.data_dir, config.get("WITNESS_SIGNING_KEY"))
    logs = args.log if args.log is not None else [v for v in config.get_list("WITNESS_LOGS") if v]
    witness = Witness(args.name, key, logs, args.data_dir)
    if args.print_vkey:
        print(witness.vkey)
        return 0
    if not witness.logs:
        print("ERROR: no log to witness: give --log VKEY or WITNESS_LOGS", file=sys.stderr)
        return 2
    server = ThreadingHTTPServer((args.host, args.port), make_handler(witness))
    server.daemon_threads = True
    log.info("witness %s for %s on %s:%d", witness.vkey, ", ".join(witness.logs), args.host, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
