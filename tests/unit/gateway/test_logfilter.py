"""The gateway's logs carry no client address: eventlet's access lines dropped, its error lines scrubbed."""

import logging

from gateway.logfilter import NoClientAddress


def record(level, msg, *args):
    return logging.LogRecord("nameko.web.server", level, __file__, 1, msg, args, None)


def test_access_and_connection_lines_are_dropped():
    keep = NoClientAddress().filter
    assert not keep(record(logging.INFO, '%s - - [01/Dec/2026] "POST /api/v1/ballots HTTP/1.1" 201', "10.1.2.3"))
    assert not keep(record(logging.DEBUG, "(1) accepted ('10.1.2.3', 5555)"))


def test_error_lines_keep_their_reason_without_the_address():
    line = record(
        logging.ERROR, 'I/O error while discarding request body. client=%s request="POST /" error="x"', "10.1.2.3"
    )
    assert NoClientAddress().filter(line)
    assert "10.1.2.3" not in line.getMessage() and "I/O error" in line.getMessage()
