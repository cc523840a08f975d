"""Examination's events on the bus (docs/EVENTS.md), never carrying personal data; and the unseal ceremony
across a restart of the examination process (pending shares are in memory only)."""

import json
import uuid

from kombu import Connection, Exchange, Queue

from tests.e2e.test_examination_flow import World, _campaign_with_candidates, _mismatched_sheet, applicant
from tests.harness import eventually, rabbitmqctl


class Tap:
    """A throw-away queue bound to every examination event of the suite's vhost."""

    def __init__(self, suite):
        self.conn = Connection(suite.env["AMQP_URI"])
        self.queue = Queue(
            f"tap-{uuid.uuid4().hex[:8]}",
            exchange=Exchange("examination.events", type="topic", durable=True),
            routing_key="#",
            auto_delete=True,
        )
        self.queue(self.conn.channel()).declare()
        self.events = []

    def drain(self):
        bound = self.queue(self.conn.channel())
        while True:
            message = bound.get(no_ack=True)
            if message is None:
                return self.events
            self.events.append(json.loads(message.body) if isinstance(message.body, (str, bytes)) else message.body)

    def of(self, campaign, type_):
        return [e for e in self.drain() if e["type"] == type_ and e["subject"] == f"campaign:{campaign}"]


def test_every_receipt_share_unseal_and_refusal_is_an_event_without_personal_data(api, suite):
    tap = Tap(suite)
    world = _campaign_with_candidates(api, n=3, seats=1, ratio=1)
    grader = world.vendor(["grading"])
    codes = world.blind_codes("written", as_=grader)
    good = world.submit(grader, world.sheet(grader, "written", {c: 70 for c in codes}))
    bad = world.submit(grader, _mismatched_sheet(world, grader, {codes[0]: 1}))
    assert good.status_code == bad.status_code == 202
    world.unseal_all("written")

    received = eventually(
        lambda: len(world_events(tap, world, "sheet.received")) == 2 and world_events(tap, world, "sheet.received"),
        timeout=30,
    )
    assert {e["data"]["sheet"] for e in received} == {good.json()["id"], bad.json()["id"]}
    assert all(e["data"]["vendor"] == grader and e["actor"] == grader for e in received)
    shares = eventually(lambda: world_events(tap, world, "share.given"), timeout=30)
    assert [e["data"]["shares"] for e in shares][:2] == [1, 2]
    assert {e["data"]["officer"] for e in shares} <= set(world.officers)
    [unsealed] = eventually(lambda: world_events(tap, world, "campaign.unsealed"), timeout=30)
    assert unsealed["data"]["sheets"] == 2
    assert {"sheet": bad.json()["id"], "code": "commitment_mismatch", "count": 1} in unsealed["data"]["problems"]
    assert eventually(lambda: world_events(tap, world, "campaign.opened"), timeout=30)
    assert eventually(lambda: world_events(tap, world, "blind_codes.assigned"), timeout=30)
    assert eventually(lambda: world_events(tap, world, "vendor.assigned"), timeout=30)

    everything = json.dumps([e for e in tap.events if e["subject"] == f"campaign:{world.campaign}"])
    for n in range(1, 4):
        person = applicant(n)
        assert person["id_number"] not in everything and person["name"] not in everything
    for share in world.shares.values():
        assert share not in everything


def unacked(suite, queue):
    """Messages of ``queue`` delivered to a consumer and not acknowledged yet, as the broker counts them."""
    out = rabbitmqctl("list_queues", "-p", suite.vhost, "name", "messages_unacknowledged")
    assert out.returncode == 0, out.stderr
    counts = dict(line.split("\t") for line in out.stdout.splitlines() if line.startswith(queue + "\t"))
    return int(counts[queue])


def world_events(tap, world, type_):
    tap.drain()
    return [e for e in tap.events if e["type"] == type_ and e["subject"] == f"campaign:{world.campaign}"]


def test_a_refused_reveal_is_recorded(api, suite):
    tap = Tap(suite)
    world = World(api, not_before=12)
    setter = world.vendor(["question_setting"])
    r = api.post(world.path("/papers"), {"commitment": "a" * 64}, as_=setter)
    assert r.status_code == 201
    paper = r.json()["id"]

    def refused():
        r = api.post(f"/api/v1/papers/{paper}/reveal", {"paper": "b3RoZXI="}, as_=setter)
        return r.status_code == 422 and r.json()["code"] == "commitment_mismatch"

    eventually(refused, timeout=60, interval=1)
    [event] = eventually(lambda: world_events(tap, world, "paper.reveal_refused")[:1], timeout=30)
    assert event["data"] == {"campaign": world.campaign, "paper": paper, "vendor": setter, "commitment": "a" * 64}
    assert world_events(tap, world, "paper.committed")


def test_a_restart_during_the_ceremony_means_officers_give_their_shares_again(api, suite):
    world = World(api, officers=3, threshold=2)
    r = world.unseal("written", world.officers[0])
    assert r.json() == {"status": "pending", "shares": 1, "threshold": 2}
    # the broker must have the RPC's ack: a request unacked at the kill is redelivered to the new process
    eventually(lambda: unacked(suite, "rpc-examination") == 0, timeout=30)
    suite.kill("examination")
    eventually(lambda: api.get("/health").status_code == 200, timeout=90, interval=1)
    # the share given before the restart is gone: the next officer's share is the first again
    r = eventually(
        lambda: (lambda x: x.status_code == 200 and x)(world.unseal("written", world.officers[1])),
        timeout=30,
        interval=1,
    )
    assert r.json() == {"status": "pending", "shares": 1, "threshold": 2}
    r = world.unseal("written", world.officers[0])
    assert r.json() == {"status": "unsealed", "sheets": 0, "problems": []}
