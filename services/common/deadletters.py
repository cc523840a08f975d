"""Operator tool for the dead-letter queue (pika):

    python -m services.common.deadletters list [--limit N]
    python -m services.common.deadletters show N
    python -m services.common.deadletters replay N|all
    python -m services.common.deadletters drop N|all

Messages are numbered by their position in the queue (1 = oldest). ``replay`` republishes a message
to the exchange and routing key it was first published with (from its ``x-death`` header) and removes
it from the dead-letter queue; ``drop`` removes it. Both act only after the broker confirmed the
republish, so nothing is lost between the two queues.
"""

import warnings

# The pinned eventlet warns on import that it is deprecated (DESIGN.md pins it): not the operator's business.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import json
import sys

import pika

from services.common import config
from services.common.cli import Parser
from services.common.events import ATTEMPTS_HEADER, DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE


def _channel():
    connection = pika.BlockingConnection([pika.URLParameters(uri) for uri in config.amqp_uris()])
    channel = connection.channel()
    channel.exchange_declare(DEAD_LETTER_EXCHANGE, exchange_type="topic", durable=True)
    channel.queue_declare(DEAD_LETTER_QUEUE, durable=True)
    channel.queue_bind(DEAD_LETTER_QUEUE, DEAD_LETTER_EXCHANGE, routing_key="#")
    channel.confirm_delivery()
    return connection, channel


def _fetch_all(channel):
    """Every message, unacked (they return to the queue when the connection closes)."""
    messages = []
    while True:
        method, properties, body = channel.basic_get(DEAD_LETTER_QUEUE, auto_ack=False)
        if method is None:
            return messages
        messages.append((method, properties, body))


def origin(properties):
    deaths = (properties.headers or {}).get("x-death") or []
    if deaths:
        first = deaths[-1]
        keys = first.get("routing-keys") or [""]
        return first.get("exchange", ""), keys[0], first.get("queue", ""), first.get("reason", "")
    return "", "", "", ""


def describe(number, properties, body):
    exchange, routing_key, queue, reason = origin(properties)
    try:
        payload = json.loads(body)
        summary = {k: payload.get(k) for k in ("id", "type", "subject", "occurred_at") if isinstance(payload, dict)}
    except ValueError:
        summary = {"undecodable": len(body)}
    return {"n": number, "exchange": exchange, "routing_key": routing_key, "queue": queue, "reason": reason, **summary}


def _select(messages, which):
    if which == "all":
        return list(range(len(messages)))
    index = int(which) - 1
    if not 0 <= index < len(messages):
        raise SystemExit(f"no dead letter {which} (there are {len(messages)})")
    return [index]


def main(argv=None):
    parser = Parser(
        prog="python -m services.common.deadletters",
        description="Inspect, replay or drop dead letters.",
        examples="""
  python -m services.common.deadletters list --limit 20
  python -m services.common.deadletters show 1
  python -m services.common.deadletters replay 1      # back onto the exchange it came from
  python -m services.common.deadletters drop 1""",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list").add_argument("--limit", type=int, default=50)
    sub.add_parser("show").add_argument("n")
    sub.add_parser("replay").add_argument("n")
    sub.add_parser("drop").add_argument("n")
    args = parser.parse_args(argv)

    connection, channel = _channel()
    try:
        messages = _fetch_all(channel)
        if args.command == "list":
            for number, (_, properties, body) in enumerate(messages[: args.limit], start=1):
                print(json.dumps(describe(number, properties, body), ensure_ascii=False))
            print(f"{len(messages)} dead letter(s)", file=sys.stderr)
        elif args.command == "show":
            index = _select(messages, args.n)[0]
            _, properties, body = messages[index]
            print(
                json.dumps(
                    {
                        **describe(index + 1, properties, body),
                        "headers": properties.headers,
                        "body": body.decode("utf-8", "replace"),
                    },
                    ensure_ascii=False,
                    default=str,
                    indent=2,
                )
            )
        else:
            chosen = set(_select(messages, args.n))
            for index, (method, properties, body) in enumerate(messages):
                if index not in chosen:
                    continue
                if args.command == "replay":
                    exchange, routing_key, _, _ = origin(properties)
                    headers = {
                        k: v
                        for k, v in (properties.headers or {}).items()
                        if k not in ("x-death", ATTEMPTS_HEADER) and not k.startswith("x-first-death")
                    }
                    channel.basic_publish(
                        exchange,
                        routing_key,
                        body,
                        pika.BasicProperties(
                            content_type=properties.content_type,
                            content_encoding=properties.content_encoding,
                            headers=headers,
                            delivery_mode=2,
                        ),
                    )
                channel.basic_ack(method.delivery_tag)
                print(f"{'replayed' if args.command == 'replay' else 'dropped'} {index + 1}")
    finally:
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
