"""Independent verifier of the records log: ``python -m services.records.verify --url URL [--state FILE]``.

With no account it checks what is public, in the C2SP formats: the ``/log/checkpoint`` signed note
against the log's verifier key, the cosignatures of ``--witnesses N`` of the listed witnesses (default
all), the root recomputed from the level-0 hash tiles (and every upper tile against them), and that
the tree still begins with the checkpoint this machine verified last (the state file). With
``CADRE_TOKEN`` (or ``--token``) of a role that may list records it first checks the whole listing:
every leaf hash from its entry, the chain, the JSON checkpoint, its consistency with the last one,
and that the listed leaf hashes are the tiles'. ``--dossier FILE`` checks a saved dossier with no
network; ``--follow SECONDS`` keeps checking each new checkpoint and exits on the first failure (a
split view). Prints one line a check. Exit status: 0 all checks hold; 1 a check failed (with the
first bad ``seq`` when one can be named); 2 the log could not be fetched.
"""

import json
import os
import sys
import tempfile
import time

from services.common.cli import Parser, glue_token_value
from services.records.log import note, tiles
from services.records.log.verify_core import (
    PublicCheckError,
    VerifyResult,
    check_dossier,
    check_listing_against_tiles,
    check_signed_note,
    check_tiles,
    verify_log,
)
from services.records.log_client import FetchError, LogClient

DEFAULT_STATE = os.path.join("~", ".cadre-verify.json")
EXIT_OK, EXIT_FAILED, EXIT_UNREACHABLE = 0, 1, 2


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
    """Fetch and verify the listing; return ``(VerifyResult, checkpoint, public_key, entries)``.

    ``remembered`` is this log's state-file record (or None). The checkpoint is
    fetched before the listing so that the listing can only be longer than it.
    """
    checkpoint = client.checkpoint()
    public_key = client.public_key()
    trusted_key = pinned_key or (remembered or {}).get("public_key")
    if trusted_key and trusted_key != public_key:
        return (
            VerifyResult(False, None, "public key: the log now serves a different key than the one trusted"),
            checkpoint,
            public_key,
            [],
        )
    size_hint = (
        checkpoint.get("size") if isinstance(checkpoint, dict) and isinstance(checkpoint.get("size"), int) else None
    )
    entries = client.entries(size_hint)
    previous = (remembered or {}).get("checkpoint")
    path = None
    if previous is not None and isinstance(checkpoint, dict):
        old_size, new_size = previous.get("size"), checkpoint.get("size")
        if isinstance(old_size, int) and isinstance(new_size, int) and 0 < old_size < new_size:
            path = client.consistency(old_size, new_size)
    return verify_log(entries, checkpoint, public_key, previous, path), checkpoint, public_key, entries


def log_state_key(vkey_text):
    """Where the state file keeps what was verified of a C2SP log: its identity is its verifier key."""
    return f"tlog:{vkey_text}"


def run_public(client, remembered, vkey_text, witness_vkeys, required, tile_cache=None, listed_hashes=None, now=None):
    """The public checks; returns ``(VerifyResult, state record)``. ``remembered``: the last verified
    ``{"size", "root"}`` of this log (or None); ``listed_hashes``: the listing's recomputed leaf hashes
    when a token gave it, to hold against the tiles."""
    log_verifier = note.parse_vkey(vkey_text)
    verifiers = []
    for text in witness_vkeys:
        try:
            verifiers.append(note.parse_vkey(text))
        except note.NoteError as error:
            return VerifyResult(False, None, f"witnesses: {text!r}: {error}"), None
    required = len(verifiers) if required is None else required
    if required > len(verifiers):
        return VerifyResult(False, None, f"witnesses: {required} required, {len(verifiers)} listed"), None
    try:
        checkpoint, vouched = check_signed_note(
            client.note(), log_verifier, verifiers, required, time.time() if now is None else now
        )
        wanted = [(0, n, width) for n, width in tiles.level0_tiles(checkpoint.size)]
        level0 = client.tiles(wanted, tile_cache)
        leaves = [value for tile in wanted for value in level0[tile]]
        upper = client.tiles(tiles.upper_tiles(checkpoint.size), tile_cache)
        tree = check_tiles(leaves, upper, checkpoint, remembered)
    except PublicCheckError as error:
        return VerifyResult(False, error.seq, str(error)), None
    if listed_hashes is not None:
        seq = check_listing_against_tiles(listed_hashes, tree)
        if seq is not None:
            return VerifyResult(False, seq, f"tiles: the listed leaf hash of seq {seq} is not the tiles'"), None
    names = ", ".join(name for name, _ in vouched) or "none"
    consistency = f"consistent with size {remembered['size']}" if remembered else "first run"
    message = (
        f"checkpoint {checkpoint.size} of {checkpoint.origin} signed by the log, root recomputed from "
        f"{len(wanted)} tiles; {len(vouched)} witness cosignature(s) of {required} required ({names}); "
        f"{consistency}"
    )
    return VerifyResult(True, None, message), {"size": checkpoint.size, "root": checkpoint.root.hex()}


def parse_args(argv):
    parser = Parser(
        prog="python -m services.records.verify",
        description=__doc__.splitlines()[0],
        examples="""
  python -m services.records.verify --url http://127.0.0.1:8000              # public checks, no account
  CADRE_TOKEN=… python -m services.records.verify --url http://127.0.0.1:8000 # and every entry and the chain
  python -m services.records.verify --url http://127.0.0.1:8000 --follow 60  # monitor: exit on a split view
  python -m services.records.verify --dossier dossier-42.json                # a saved dossier, offline""",
    )
    parser.add_argument("--url", help="gateway base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--state", default=DEFAULT_STATE, help="where the last verified checkpoint is kept")
    parser.add_argument(
        "--token",
        default=os.environ.get("CADRE_TOKEN"),
        help="bearer token of an org, committee, superior or auditor principal "
        "(the listing is not public); default $CADRE_TOKEN",
    )
    parser.add_argument("--public-key", help="base64 Ed25519 public key to trust instead of the one first seen")
    parser.add_argument("--vkey", help="the log's C2SP verifier key to trust instead of the one first seen")
    parser.add_argument(
        "--witness",
        action="append",
        default=None,
        metavar="VKEY",
        help="a witness's verifier key to trust (repeatable; default: the log's listed witnesses)",
    )
    parser.add_argument(
        "--witnesses",
        type=int,
        default=None,
        metavar="N",
        help="how many witnesses must have cosigned the checkpoint (default: all)",
    )
    parser.add_argument("--dossier", metavar="FILE", help="check a saved dossier (JSON) offline, with no network")
    parser.add_argument(
        "--follow",
        type=float,
        default=None,
        metavar="SECONDS",
        help="keep checking every SECONDS; exit non-zero on the first check that fails",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request")
    args = parser.parse_args(glue_token_value(argv))
    if not args.url and not args.dossier:
        parser.error("--url is required (or --dossier FILE)")
    if args.witnesses is not None and args.witnesses < 0:
        parser.error("--witnesses is a number of witnesses")
    if args.follow is not None and args.follow <= 0:
        parser.error("--follow takes a positive number of seconds")
    return args


def main_dossier(args, state_path):
    """``--dossier FILE``: no network. The key is ``--public-key``, else the one remembered for ``--url``,
    else the only one the state file remembers."""
    try:
        with open(args.dossier, encoding="utf-8") as handle:
            dossier = json.load(handle)
    except (OSError, ValueError) as error:
        print(f"ERROR: cannot read dossier: {error}")
        return EXIT_UNREACHABLE
    key = args.public_key
    if not key:
        try:
            state = load_state(state_path)
        except (OSError, ValueError) as error:
            print(f"ERROR: cannot read state: {error}")
            return EXIT_UNREACHABLE
        keys = {
            record.get("public_key")
            for url, record in state.items()
            if isinstance(record, dict) and record.get("public_key") and (not args.url or url == args.url.rstrip("/"))
        }
        if len(keys) != 1:
            print("ERROR: give --public-key (the state file does not name one key for this log)")
            return EXIT_UNREACHABLE
        key = keys.pop()
    result = check_dossier(dossier, key)
    return report(result)


def report(result):
    if not result.ok:
        where = f"first bad seq {result.first_bad_seq}: " if result.first_bad_seq is not None else ""
        print(f"FAIL: {where}{result.message}", flush=True)
        return EXIT_FAILED
    print(f"OK: {result.message}", flush=True)
    return EXIT_OK


def verify_once(args, client, state, base_url, tile_cache):
    """One full check; updates ``state`` in memory when all holds. Returns the exit status."""
    remembered = state.get(base_url)
    if remembered is not None and not (isinstance(remembered, dict) and isinstance(remembered.get("checkpoint"), dict)):
        print(f"ERROR: the state file holds no usable checkpoint for {base_url}")
        return EXIT_UNREACHABLE
    listed_hashes, listing_result, checkpoint, public_key = None, None, None, None
    try:
        if args.token:
            listing_result, checkpoint, public_key, entries = run(client, remembered, args.public_key)
            if not listing_result.ok:
                return report(listing_result)
            # verify_log has recomputed every one of these from its entry
            listed_hashes = [bytes.fromhex(entry["leaf_hash"]) for entry in entries]
        served_vkey = client.vkey()
        vkey_text = args.vkey or (state.get(f"vkey:{base_url}") or served_vkey)
        if vkey_text != served_vkey:
            return report(
                VerifyResult(False, None, "vkey: the log now serves a different note key than the one trusted")
            )
        key = log_state_key(vkey_text)
        remembered_log = state.get(key)
        if remembered_log is not None and not (
            isinstance(remembered_log, dict) and isinstance(remembered_log.get("size"), int)
        ):
            print(f"ERROR: the state file holds no usable checkpoint for {vkey_text}")
            return EXIT_UNREACHABLE
        witness_vkeys = args.witness if args.witness is not None else client.witnesses()
        result, record = run_public(
            client, remembered_log, vkey_text, witness_vkeys, args.witnesses, tile_cache, listed_hashes
        )
        if not result.ok and tile_cache:
            # Tiles kept from an earlier round may be what no longer fits: say what the log serves now.
            tile_cache.clear()
            result, record = run_public(
                client, remembered_log, vkey_text, witness_vkeys, args.witnesses, tile_cache, listed_hashes
            )
    except FetchError as error:
        print(f"ERROR: {error}", flush=True)
        return EXIT_UNREACHABLE
    except note.NoteError as error:
        return report(VerifyResult(False, None, f"vkey: {error}"))
    if not result.ok:
        return report(result)
    if listing_result is not None:
        state[base_url] = {"checkpoint": checkpoint, "public_key": public_key}
        result = VerifyResult(True, None, f"{listing_result.message}; {result.message}")
    state[f"vkey:{base_url}"] = vkey_text
    state[key] = record
    return report(result)


def main(argv=None):
    args = parse_args(argv)
    state_path = os.path.expanduser(args.state)
    if args.dossier:
        return main_dossier(args, state_path)
    base_url = args.url.rstrip("/")
    try:
        state = load_state(state_path)
    except (OSError, ValueError) as error:
        print(f"ERROR: cannot read state: {error}")
        return EXIT_UNREACHABLE
    client = LogClient(base_url, args.token, args.timeout)
    tile_cache = {}
    while True:
        code = verify_once(args, client, state, base_url, tile_cache)
        if code == EXIT_OK:
            save_state(state_path, state)
        if args.follow is None or code == EXIT_FAILED:
            return code
        time.sleep(args.follow)


if __name__ == "__main__":
    sys.exit(main())
