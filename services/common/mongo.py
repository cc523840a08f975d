"""The Mongo dependency: each service connects mongoengine to its own logical database."""

import mongoengine
from mongoengine.connection import get_db
from nameko.extensions import DependencyProvider
from prometheus_client import Counter
from pymongo import monitoring

from services.common import config

DB_COMMANDS = Counter(
    "cadre_db_commands_total",
    "Database commands (round trips) this process sent, by command name; counted only with DB_COMMAND_METRICS=1.",
    ["service", "command"],
)


class CommandCounter(monitoring.CommandListener):
    """Counts round trips per command name: the figure that carries over from nx-27017 to a replica set."""

    def __init__(self, service):
        self.service = service

    def started(self, event):
        DB_COMMANDS.labels(self.service, event.command_name).inc()

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def connect(db_name, alias="default"):
    """Connect mongoengine lazily (fork-safe) to ``db_name`` on the configured server."""
    listeners = [CommandCounter(db_name)] if config.get("DB_COMMAND_METRICS") == "1" else []
    return mongoengine.connect(
        db=db_name,
        host=config.mongodb_uri(),
        alias=alias,
        tz_aware=True,
        uuidRepresentation="standard",
        serverSelectionTimeoutMS=config.get_int("HEALTH_TIMEOUT_SECONDS") * 1000,
        connect=False,
        event_listeners=listeners,
    )


def counts_by(collection, field, values, match=None):
    """``{value: documents}`` for each of ``values``, in one round trip: a ``$group`` on the field (each
    ``count_documents`` is an aggregation of its own, and one per value and gauge tick adds up at rest)."""
    pipeline = ([{"$match": match}] if match else []) + [{"$group": {"_id": f"${field}", "n": {"$sum": 1}}}]
    found = {row["_id"]: row["n"] for row in collection.aggregate(pipeline)}
    return {value: found.get(value, 0) for value in values}


def ping(alias="default"):
    get_db(alias).command("ping")
    return True


class Mongo(DependencyProvider):
    """Connects in ``setup()``; the injected value answers ``ping()`` for health checks."""

    def __init__(self, db_name):
        self.db_name = db_name

    def setup(self):
        connect(self.db_name)

    def get_dependency(self, worker_ctx):
        return self

    def ping(self):
        return ping()
