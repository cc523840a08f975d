"""JSON-lines logging to stderr, each line with the process's service name and the request id."""

import json
import logging
import sys
import time

from services.common import config
from services.common.context import current_request_id


class JsonFormatter(logging.Formatter):
    def __init__(self, service):
        super().__init__()
        self.service = service

    def format(self, record):
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": current_request_id.get(),
        }
        if record.exc_info:
            exc = record.exc_info[1]
            if getattr(exc, "status", 500) < 500:
                # an answer to the caller (4xx), not a fault: no traceback, and never its data
                line["level"] = "info"
                line["msg"] = f"{type(exc).__name__}: {getattr(exc, 'code', '')}"
            else:
                line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(service):
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(config.get("LOG_LEVEL"))
    # kombu and nameko are chatty at INFO about reconnects; keep them but not their debug noise
    for noisy in ("kombu", "amqp", "pymongo", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
