"""Helpers for the supervision tests: publish nomination's events, watch supervision's, read metrics."""

import json
import uuid

import pika
import requests

from services.common.envelope import make_envelope
from tests.events import as_sent
from tests.harness import eventually
from tests.signing import as_producer


def sid():
    return f"sel-{uuid.uuid4().hex[:12]}"


def publish(suite, type, data, subject=None, envelope=None):
    """Publish one nomination event (as nomination's relay would: its data as nomination's schema dumps it);
    returns its envelope."""
    envelope = envelope or make_envelope(
        type,
        "nomination",
        subject or f"selection:{data['selection']}",
        as_sent("nomination", type, data),
        actor="org",
        correlation_id=uuid.uuid4().hex,
    )
    envelope = as_producer(suite, envelope)
    with pika.BlockingConnection(pika.URLParameters(suite.env["AMQP_URI"])) as connection:
        channel = connection.channel()
        channel.exchange_declare("nomination.events", "topic", durable=True)
        channel.confirm_delivery()
        channel.basic_publish(
            "nomination.events",
            envelope["type"],
            json.dumps(envelope).encode(),
            pika.BasicProperties(content_type="application/json", delivery_mode=2),
        )
    return envelope


class Tap:
    """A private queue bound to every event on ``supervision.events``."""

    def __init__(self, suite):
        self.connection = pika.BlockingConnection(pika.URLParameters(suite.env["AMQP_URI"]))
        self.channel = self.connection.channel()
        self.channel.exchange_declare("supervision.events", "topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, "supervision.events", "#")
        self.seen = []

    def drain(self):
        while True:
            method, _, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return self.seen
            self.seen.append(json.loads(body))

    def events(self, type, selection=None):
        return [
            e
            for e in self.drain()
            if e["type"] == type and (selection is None or e["data"].get("selection") == selection)
        ]

    def wait(self, type, selection=None, count=1, timeout=20):
        return eventually(
            lambda: (found := self.events(type, selection)) and len(found) >= count and found, timeout=timeout
        )

    def close(self):
        try:
            self.connection.close()
        except Exception:
            pass


def metric(suite, name):
    """The value of an unlabelled metric of the supervision process (0 if not yet exported)."""
    text = requests.get(f"http://127.0.0.1:{suite.ports['SUPERVISION_METRICS_PORT']}/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def reviews(api, selection, as_="org"):
    r = api.get("/api/v1/reviews", as_=as_, params={"selection": selection})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def wait_reviews(api, selection, n, as_="org"):
    return eventually(lambda: (items := reviews(api, selection, as_)) and len(items) >= n and items, timeout=20)


def notice_of(api, selection):
    r = api.get("/api/v1/notices", params={"selection": selection})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    return items[0] if items else None


def clear_all(api, review_id, departments=("discipline", "audit", "family_planning", "petition")):
    last = None
    for department in departments:
        last = api.post(
            f"/api/v1/reviews/{review_id}/verdicts", {"verdict": "clear", "reason": "no findings"}, as_=department
        )
        assert last.status_code == 200, last.text
    return last.json()
