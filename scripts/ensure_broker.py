"""Make sure RabbitMQ answers at AMQP_URI (start or install it, or say why not) — for `make test`."""

from suite import ensure_broker

if __name__ == "__main__":
    ensure_broker()
