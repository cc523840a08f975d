"""What every service carries: its database, caller context, outbox relay, metrics and a health RPC."""

from services.common.context import RequestContext
from services.common.entrypoints import rpc
from services.common.metrics import Metrics
from services.common.mongo import Mongo
from services.common.outbox import OutboxRelay


def chassis(db_name):
    """The dependency providers of a service using database ``db_name``, to unpack into the class."""
    return Mongo(db_name), RequestContext(), OutboxRelay(), Metrics()


class HealthMixin:
    """``health()`` answers when the service runs and its database responds."""

    @rpc
    def health(self):
        return {"status": "ok", "database": self.db.ping()}
