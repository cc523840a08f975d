"""Keeps client addresses out of the gateway's logs: no line may link a ballot or an objection to a sender."""

import logging
import re

# eventlet's WSGI server logs through this logger: an access line per request, naming the client's
# address (INFO), connection chatter with it (DEBUG), and read errors with "client=<address>" (ERROR).
SERVER_LOGGER = "nameko.web.server"
_CLIENT = re.compile(r"client=\S+")


class NoClientAddress(logging.Filter):
    """Drops the server's access and connection lines; takes the client's address out of its errors."""

    def filter(self, record):
        if record.levelno < logging.WARNING:
            return False
        record.msg = _CLIENT.sub("client=-", record.getMessage())
        record.args = None
        return True


def install():
    logger = logging.getLogger(SERVER_LOGGER)
    if not any(isinstance(f, NoClientAddress) for f in logger.filters):
        logger.addFilter(NoClientAddress())
