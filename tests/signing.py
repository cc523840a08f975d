"""Tests that play a legitimate party on the bus sign as it would, with the suite's own keys."""

import time
import uuid

from nacl.signing import SigningKey

from services.common import remote_errors, signing  # noqa: F401  (errors cross RPC as themselves)
from services.common.context import DEADLINE, context_for


def suite_key(suite, service):
    """The signing key ``service`` uses in ``suite`` (generated into its data dir at start)."""
    return signing.key_from_b64((suite.data_dir / "keys" / f"{service}.key").read_text().strip())


def sign_with(key, envelope):
    return signing.sign_document(key, envelope)


def sign(suite, envelope, as_=None):
    """``envelope`` signed as its producer (its ``source``, or ``as_``) signs it."""
    return sign_with(suite_key(suite, as_ or envelope["source"]), envelope)


def as_producer(suite, body):
    """``body`` signed by its ``source`` when it names a party; anything else (poison) as it is."""
    if isinstance(body, dict) and body.get("source") in signing.PARTIES:
        return sign(suite, body)
    return body


def gateway_context(suite, actor, role, ttl=5, key=None, **extra):
    """The caller context the gateway would attach to an RPC; ``ttl`` seconds until it expires."""
    data = dict(context_for(actor, role, f"test-{uuid.uuid4().hex[:8]}"), **extra)
    data[DEADLINE] = f"{time.time() + ttl:.3f}"
    return signing.sign_context(key or suite_key(suite, "gateway"), data)


def rpc(suite, service, method, context, **kwargs):
    """An RPC published straight on the suite's broker with exactly ``context`` as its context data."""
    from nameko.standalone.rpc import ClusterRpcClient

    with ClusterRpcClient(context_data=context, uri=suite.env["AMQP_URI"], timeout=10) as client:
        return getattr(getattr(client, service), method)(**kwargs)


def call_as_gateway(suite, service, method, actor, role, **kwargs):
    return rpc(suite, service, method, gateway_context(suite, actor, role), **kwargs)


__all__ = ["SigningKey", "as_producer", "call_as_gateway", "gateway_context", "rpc", "sign", "sign_with", "suite_key"]
