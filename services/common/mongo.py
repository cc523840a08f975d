"""The Mongo dependency: each service connects mongoengine to its own logical database."""
import mongoengine
from mongoengine.connection import get_db
from nameko.extensions import DependencyProvider

from services.common import config


def connect(db_name, alias="default"):
    """Connect mongoengine lazily (fork-safe) to ``db_name`` on the configured server."""
    return mongoengine.connect(
        db=db_name,
        host=config.mongodb_uri(),
        alias=alias,
        tz_aware=True,
        uuidRepresentation="standard",
        serverSelectionTimeoutMS=config.get_int("HEALTH_TIMEOUT_SECONDS") * 1000,
        connect=False,
    )


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
