"""The dead-letter tool against a fake channel: numbering, origin, replay to where it came from, drop."""

import datetime
import json

import pytest

from services.common import config, deadletters


class Properties:
    def __init__(self, headers=None):
        self.headers, self.content_type, self.content_encoding = headers, "application/json", "utf-8"


def death(exchange="nomination.events", key="selection.opened"):
    return {"exchange": exchange, "routing-keys": [key], "queue": "evt-q", "reason": "rejected"}


class Channel:
    """A dead-letter queue of ``(properties, body)``; published and acked messages are recorded."""

    def __init__(self, letters):
        self.letters = list(letters)
        self.published, self.acked, self.types = [], [], []

    def basic_get(self, queue, auto_ack):
        assert (queue, auto_ack) == ("cadre.dead-letters", False)
        if not self.letters:
            return None, None, None
        properties, body = self.letters.pop(0)
        return type("Method", (), {"delivery_tag": len(self.acked) + len(self.published) + 100})(), properties, body

    def basic_publish(self, exchange, routing_key, body, properties):
        self.published.append((exchange, routing_key, body, properties.headers, properties.delivery_mode))
        self.types.append((properties.content_type, properties.content_encoding))

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


# --- what a mutation run showed no test pinned down (docs/TESTING.md)


def opened(monkeypatch, letters):
    """The tool run against ``letters`` (``(properties, body)``): the channel it used."""
    channel = Channel(letters)
    connection = type("Connection", (), {"close": lambda self: None})()
    monkeypatch.setattr(deadletters, "_channel", lambda: (connection, channel))
    return channel


def test_the_connection_goes_to_every_configured_node_and_declares_the_dead_letter_queue(monkeypatch):
    calls = []

    class FakeChannel:
        def __getattr__(self, name):
            return lambda *args, **kwargs: calls.append((name, args, kwargs))

    class FakeConnection:
        def __init__(self, parameters):
            self.parameters = parameters

        def channel(self):
            return FakeChannel()

    monkeypatch.setattr(config, "amqp_uris", lambda: ["amqp://u:p@h1:5673/%2F", "amqp://u:p@h2:5674/cadre"])
    monkeypatch.setattr(deadletters.pika, "BlockingConnection", FakeConnection)
    connection, channel = deadletters._channel()
    # pika tries the nodes of a cluster in turn: each URI becomes one node's parameters
    assert [(p.host, p.port, p.virtual_host, p.credentials.username) for p in connection.parameters] == [
        ("h1", 5673, "/", "u"),
        ("h2", 5674, "cadre", "u"),
    ]
    assert isinstance(channel, FakeChannel)
    # the same durable topic exchange and queue the services declare, bound to every key, publishes confirmed
    assert calls == [
        ("exchange_declare", ("cadre.dead-letters",), {"exchange_type": "topic", "durable": True}),
        ("queue_declare", ("cadre.dead-letters",), {"durable": True}),
        ("queue_bind", ("cadre.dead-letters", "cadre.dead-letters"), {"routing_key": "#"}),
        ("confirm_delivery", (), {}),
    ]


def test_a_command_is_required_and_its_absence_refused_before_connecting(monkeypatch, capsys):
    monkeypatch.setattr(deadletters, "_channel", lambda: pytest.fail("connected without a command"))
    with pytest.raises(SystemExit) as refused:
        deadletters.main([])
    assert refused.value.code == 2
    assert capsys.readouterr().err == (
        "error: the following arguments are required: command (see: python -m services.common.deadletters --help)\n"
    )


def test_help_names_the_tool_says_what_it_does_and_ends_with_examples(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "120")
    with pytest.raises(SystemExit) as done:
        deadletters.main(["--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    assert shown.startswith("usage: python -m services.common.deadletters [-h] {list,show,replay,drop} ...\n")
    assert "\n\nInspect, replay or drop dead letters.\n\n" in shown
    assert "\nexamples:\n  python -m services.common.deadletters list --limit 20\n" in shown


def test_list_shows_fifty_by_default(monkeypatch, capsys):
    opened(monkeypatch, [(Properties(), b'{"id": "e%d"}' % n) for n in range(51)])
    deadletters.main(["list"])
    out, err = capsys.readouterr()
    assert [json.loads(line)["n"] for line in out.splitlines()] == list(range(1, 51))
    assert err == "51 dead letter(s)\n"


def test_list_and_show_print_text_as_it_is_not_escaped(monkeypatch, capsys):
    # an operator reads names such as "Zoë" in a terminal; \u00eb would hide them
    opened(monkeypatch, [(Properties(), '{"id": "Zoë"}'.encode())])
    deadletters.main(["list"])
    assert (
        capsys.readouterr().out
        == '{"n": 1, "exchange": "", "routing_key": "", "queue": "", "reason": "", "id": "Zoë", '
        '"type": null, "subject": null, "occurred_at": null}\n'
    )
    opened(monkeypatch, [(Properties(), '{"id": "Zoë"}'.encode())])  # the fake queue hands each letter out once
    deadletters.main(["show", "1"])
    assert '"body": "{\\"id\\": \\"Zoë\\"}"' in capsys.readouterr().out


def test_show_is_indented_json_with_the_brokers_times_as_text(monkeypatch, capsys):
    # the broker's x-death carries the time of death as a datetime, which JSON has no type for
    died = datetime.datetime(2026, 5, 12, 9, 0, 0)
    headers = {"x-death": [{**death(), "time": died}]}
    opened(monkeypatch, [(Properties(headers), b'{"id": "e1"}')])
    deadletters.main(["show", "1"])
    expected = {
        "n": 1,
        "exchange": "nomination.events",
        "routing_key": "selection.opened",
        "queue": "evt-q",
        "reason": "rejected",
        "id": "e1",
        "type": None,
        "subject": None,
        "occurred_at": None,
        "headers": {"x-death": [{**death(), "time": "2026-05-12 09:00:00"}]},
        "body": '{"id": "e1"}',
    }
    assert capsys.readouterr().out == json.dumps(expected, indent=2) + "\n"


def test_replay_of_a_later_one_skips_those_before_it(monkeypatch, capsys):
    channel = opened(
        monkeypatch, [(Properties({"x-death": [death()]}), b"1"), (Properties({"x-death": [death()]}), b"2")]
    )
    deadletters.main(["replay", "2"])
    assert [body for _, _, body, _, _ in channel.published] == [b"2"]
    assert channel.acked == [100] and capsys.readouterr().out == "replayed 2\n"


def test_replay_drops_every_x_first_death_header_and_keeps_the_content_type_and_encoding(monkeypatch):
    headers = {
        "x-death": [death()],
        "x-first-death-exchange": "nomination.events",
        "x-first-death-queue": "evt-q",
        "x-first-death-reason": "rejected",
        "trace": "t",
    }
    properties = Properties(headers)
    properties.content_type, properties.content_encoding = "text/csv", "latin-1"
    channel = opened(monkeypatch, [(properties, b"1")])
    deadletters.main(["replay", "1"])
    assert [published_headers for _, _, _, published_headers, _ in channel.published] == [{"trace": "t"}]
    assert channel.types == [("text/csv", "latin-1")]


def test_the_help_examples_name_letters_as_list_numbers_them_from_one(capsys):
    import re

    import pytest

    from services.common import deadletters

    with pytest.raises(SystemExit):
        deadletters.main(["--help"])
    examples = re.findall(r"deadletters (show|replay|drop) (\S+)", capsys.readouterr().out)
    assert examples and all(which == "1" for _, which in examples)
