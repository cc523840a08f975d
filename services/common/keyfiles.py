"""Key files in the data dir: made once by whichever process comes first, read whole by every other."""

import os
import time
from pathlib import Path

# How long a process waits for another that has created a key file to finish writing it.
WAIT_SECONDS = 10


def read_or_create(path, make, wait_seconds=WAIT_SECONDS):
    """The text kept in ``path`` (stripped), writing ``make()`` into it first if it does not exist yet.

    O_CREAT|O_EXCL makes exactly one of several processes starting at once the writer; it writes and
    fsyncs before anyone can rely on the key. The others wait for the file to be non-empty and never
    read it empty: a key read half-written would be a different key for the life of the process.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _wait_for(path, wait_seconds)
    text = make().strip()
    try:
        os.write(fd, (text + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return text


def replace(path, text, mode=0o644):
    """Write ``text`` to ``path`` atomically (temp file, fsync, rename): readers see the old or the new whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, (text.strip() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)


def read(path):
    """The stripped text of ``path``, or None while it does not exist or is still empty."""
    try:
        return Path(path).read_text().strip() or None
    except FileNotFoundError:
        return None


def _wait_for(path, wait_seconds):
    deadline = time.monotonic() + wait_seconds
    seen = None
    while True:
        raw = path.read_text()
        # The writer ends its one write with a newline, so a text without it may not be whole yet; one
        # that stays the same a moment longer is whole too (files written before this module had none).
        if raw.strip() and (raw.endswith("\n") or raw == seen):
            return raw.strip()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} stayed empty for {wait_seconds}s: its writer died; remove it to start over")
        seen = raw
        time.sleep(0.05)
