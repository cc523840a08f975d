"""The dead-letter tool against a fake channel: numbering, origin, replay to where it came from, drop."""

import json

import pytest

from services.common import deadletters


class Properties:
    def __init__(self, headers=None):
        self.headers, self.content_type, self.content_encoding = headers, "application/json", "utf-8"


def death(exchange="nomination.events", key="selection.opened"):
    return {"exchange": exchange, "routing-keys": [key], "queue": "evt-q", "reason": "rejected"}


class Channel:
    """A dead-letter queue of ``(properties, body)``; published and acked messages are recorded."""

    def __init__(self, letters):
        self.letters = list(letters)
        self.published, self.acked = [], []

    def basic_get(self, queue, auto_ack):
        assert (queue, auto_ack) == ("cadre.dead-letters", False)
        if not self.letters:
            return None, None, None
        properties, body = self.letters.pop(0)
        return type("Method", (), {"delivery_tag": len(self.acked) + len(self.published) + 100})(), properties, body

    def basic_publish(self, exchange, routing_key, body, properties):
        self.published.append((exchange, routing_key, body, properties.headers, properties.delivery_mode))

    def basic_ack(self, tag):
        self.acked.append(tag)


@pytest.fixture
def queue(monkeypatch):
    letters = [
        (Properties({"x-death": [death("later", "x"), death()], "x-cadre-attempts": 3, "trace": "t"}), b'{"id": "e1"}'),
        (Properties(), b"\xff not json"),
    ]
    channel = Channel(letters)
    closed = []
    connection = type("Connection", (), {"close": lambda self: closed.append(True)})()
    monkeypatch.setattr(deadletters, "_channel", lambda: (connection, channel))
    channel.closed = closed
    return channel


def test_origin_is_the_first_death_and_blank_without_one():
    assert deadletters.origin(Properties({"x-death": [death("later", "x"), death()]})) == (
        "nomination.events",
        "selection.opened",
        "evt-q",
        "rejected",
    )
    assert deadletters.origin(Properties({"x-death": [{"routing-keys": []}]})) == ("", "", "", "")
    assert deadletters.origin(Properties()) == ("", "", "", "")


def test_a_dead_letter_is_described_by_its_envelope_or_its_size():
    described = deadletters.describe(1, Properties(), b'{"id": "e1", "type": "t", "data": {"secret": 1}}')
    assert described == {
        "n": 1,
        "exchange": "",
        "routing_key": "",
        "queue": "",
        "reason": "",
        "id": "e1",
        "type": "t",
        "subject": None,
        "occurred_at": None,
    }
    assert deadletters.describe(2, Properties(), b"\xff")["undecodable"] == 1


def test_list_numbers_from_one_up_to_the_limit_and_counts_all(queue, capsys):
    assert deadletters.main(["list", "--limit", "1"]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["n"] for line in out.splitlines()] == [1]
    assert err == "2 dead letter(s)\n" and queue.closed == [True] and queue.acked == []


def test_show_prints_one_with_its_headers_and_body(queue, capsys):
    deadletters.main(["show", "2"])
    shown = json.loads(capsys.readouterr().out)
    assert shown["n"] == 2 and shown["body"] == "\ufffd not json" and shown["headers"] is None


@pytest.mark.parametrize("which", ["0", "3"])
def test_a_number_outside_the_queue_is_refused_naming_the_count(queue, which):
    with pytest.raises(SystemExit) as refused:
        deadletters.main(["drop", which])
    assert str(refused.value) == f"no dead letter {which} (there are 2)"
    assert queue.acked == [] and queue.closed == [True]


def test_replay_republishes_to_its_origin_without_the_death_and_attempt_headers_then_acks(queue, capsys):
    deadletters.main(["replay", "1"])
    assert queue.published == [("nomination.events", "selection.opened", b'{"id": "e1"}', {"trace": "t"}, 2)]
    assert queue.acked == [100] and capsys.readouterr().out == "replayed 1\n"


def test_drop_all_acks_every_one_and_publishes_nothing(queue, capsys):
    deadletters.main(["drop", "all"])
    assert queue.published == [] and len(queue.acked) == 2
    assert capsys.readouterr().out == "dropped 1\ndropped 2\n"
