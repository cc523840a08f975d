"""Helpers shared by the records e2e tests: publishing raw envelopes on the suite's bus, reading the log."""

import json
import uuid

import pika

from services.common.envelope import make_envelope
from tests.harness import eventually
from tests.signing import as_producer


def code(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def publish(suite, envelopes, source="nomination", raw=False, signed=True):
    """Publish envelopes (or raw bodies) to ``<source>.events`` as a producer service would, with confirms:
    signed by their ``source`` unless ``signed=False`` (as someone holding only broker credentials would)."""
    connection = pika.BlockingConnection(pika.URLParameters(suite.env["AMQP_URI"]))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for envelope in envelopes:
            body = envelope if raw else json.dumps(as_producer(suite, envelope) if signed else envelope).encode()
            routing_key = "bad.message" if raw else envelope["type"]
            channel.basic_publish(
                f"{source}.events",
                routing_key,
                body,
                pika.BasicProperties(content_type="application/json", delivery_mode=2),
            )
    finally:
        connection.close()


def envelope(type, subject, data, source="nomination", actor="org"):
    return make_envelope(type, source, subject, data, actor=actor, correlation_id=str(uuid.uuid4()))


def all_entries(api, as_="auditor", subject=None, limit=500):
    entries, cursor = [], None
    while True:
        params = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        if subject:
            params["subject"] = subject
        r = api.get("/api/v1/records", as_=as_, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        entries.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return entries


def entries_about(api, subject, matters, timeout=30):
    """Wait until every matter in ``matters`` is recorded for ``subject``; returns the entries."""

    def check():
        entries = all_entries(api, subject=subject)
        have = {e["matter"] for e in entries}
        missing = set(matters) - have
        assert not missing, f"not recorded yet: {sorted(missing)}"
        return entries

    return eventually(check, timeout=timeout, interval=0.5)
