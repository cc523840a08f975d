"""The Mongo dependency: how it connects mongoengine, pings, and counts commands (mongoengine faked, no database)."""

from types import SimpleNamespace

import pytest

from services.common import mongo


class Connect:
    """Stands in for mongoengine.connect: every argument of each call."""

    def __init__(self):
        self.calls = []

    def __call__(self, **arguments):
        self.calls.append(arguments)
        return "client"


@pytest.fixture
def connected(monkeypatch):
    connect = Connect()
    monkeypatch.setattr(mongo.mongoengine, "connect", connect)
    monkeypatch.setenv("MONGODB_URI", "mongodb://db-0,db-1/?replicaSet=rs0")
    monkeypatch.setenv("HEALTH_TIMEOUT_SECONDS", "3")
    monkeypatch.delenv("DB_COMMAND_METRICS", raising=False)
    return connect


def test_connect_is_lazy_tz_aware_standard_uuids_and_gives_up_selecting_a_server_at_the_health_deadline(connected):
    assert mongo.connect("nomination") == "client"
    assert connected.calls == [
        {
            "db": "nomination",
            "host": "mongodb://db-0,db-1/?replicaSet=rs0",
            "alias": "default",
            "tz_aware": True,
            "uuidRepresentation": "standard",
            "serverSelectionTimeoutMS": 3000,
            "connect": False,  # fork-safe: the client connects on its first command
            "event_listeners": [],
        }
    ]


def test_connect_under_another_alias(connected):
    mongo.connect("records", alias="witness")
    assert (connected.calls[0]["db"], connected.calls[0]["alias"]) == ("records", "witness")


@pytest.mark.parametrize("setting", ["", "0", "yes"])
def test_commands_are_not_counted_unless_db_command_metrics_is_1(connected, monkeypatch, setting):
    monkeypatch.setenv("DB_COMMAND_METRICS", setting)
    mongo.connect("nomination")
    assert connected.calls[0]["event_listeners"] == []


def test_with_db_command_metrics_1_each_command_is_counted_by_database_and_name(connected, monkeypatch):
    monkeypatch.setenv("DB_COMMAND_METRICS", "1")
    mongo.connect("examination")
    [listener] = connected.calls[0]["event_listeners"]
    counted = mongo.DB_COMMANDS.labels("examination", "findAndModify")
    before = counted._value.get()
    listener.started(SimpleNamespace(command_name="findAndModify"))
    listener.succeeded(SimpleNamespace(command_name="findAndModify"))
    listener.failed(SimpleNamespace(command_name="findAndModify"))
    assert counted._value.get() == before + 1  # started, once: a round trip is counted whatever its end


class Database:
    def __init__(self, alias):
        self.alias, self.commands = alias, []

    def command(self, name):
        self.commands.append(name)


def fake_get_db(monkeypatch):
    databases = []

    def get_db(alias):
        databases.append(Database(alias))
        return databases[-1]

    monkeypatch.setattr(mongo, "get_db", get_db)
    return databases


def test_ping_sends_ping_to_the_default_connection_or_the_one_named(monkeypatch):
    databases = fake_get_db(monkeypatch)
    assert mongo.ping() is True
    assert mongo.ping("witness") is True
    assert [(d.alias, d.commands) for d in databases] == [("default", ["ping"]), ("witness", ["ping"])]


def test_ping_lets_a_database_failure_through(monkeypatch):
    def get_db(alias):
        raise OSError("no server")

    monkeypatch.setattr(mongo, "get_db", get_db)
    with pytest.raises(OSError):
        mongo.ping()


def test_the_dependency_connects_its_services_database_at_setup_and_pings_it(connected, monkeypatch):
    databases = fake_get_db(monkeypatch)
    provider = mongo.Mongo("supervision")
    provider.setup()
    assert [call["db"] for call in connected.calls] == ["supervision"]
    assert provider.get_dependency(None) is provider
    assert provider.ping() is True and [(d.alias, d.commands) for d in databases] == [("default", ["ping"])]
