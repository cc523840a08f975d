"""Disclosure channel senders. SMS and e-mail are pluggable (``RECORDS_SMS_SENDER`` / ``RECORDS_EMAIL_SENDER``
name a ``module:function`` taking the message dict); the default writes each message to a spool directory
($CADRE_DATA_DIR/spool/{sms,email}/) so nothing is lost and an operator can see what would be sent."""

import importlib
import json
import os
import tempfile

from services.common import config


def spool(message):
    """Write ``message`` as ``<spool>/<channel>/<id>.json`` atomically; writing it again replaces it (idempotent)."""
    directory = config.data_dir() / "spool" / message["channel"]
    directory.mkdir(parents=True, exist_ok=True)
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in message["id"]) + ".json"
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(message, out, ensure_ascii=False, indent=2)
        os.replace(temporary, directory / name)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return str(directory / name)


def load_sender(dotted):
    """The callable named ``package.module:function``."""
    module, _, function = dotted.partition(":")
    return getattr(importlib.import_module(module), function)


def sender_for(channel):
    """The configured sender of ``sms`` or ``email``."""
    return load_sender(config.get(f"RECORDS_{channel.upper()}_SENDER"))


def recipients_for(channel):
    return config.get_list(f"RECORDS_{channel.upper()}_RECIPIENTS")
