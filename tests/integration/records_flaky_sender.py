"""A disclosure sender for the records integration tests: fails the first two attempts per message, then spools."""

import json
import os
from pathlib import Path

from services.records.channels import spool


def send(message):
    counts = Path(os.environ["CADRE_DATA_DIR"]) / "flaky-attempts.jsonl"
    with open(counts, "a", encoding="utf-8") as out:
        out.write(json.dumps({"id": message["id"], "channel": message["channel"]}) + "\n")
    attempts = sum(
        1
        for line in open(counts, encoding="utf-8")
        if json.loads(line) == {"id": message["id"], "channel": message["channel"]}
    )
    if attempts <= 2:
        raise ConnectionError("SMS gateway unreachable")
    return spool(message)
