"""Broker users per service, with deploy/rabbitmq/setup.sh's rules (permissions/<service>.json) on the
local broker: a service's credentials publish on its own exchange only and consume its own queues only."""

import base64
import json
import uuid

import pika
import pytest
from nacl.signing import SigningKey

from tests.deploy.helpers import DEPLOY
from tests.harness import drop_vhost, new_vhost, rabbitmqctl

PERMISSIONS = DEPLOY / "rabbitmq" / "permissions"
SUPERVISION_QUEUE = "evt-nomination-selection.inspected--supervision.on_selection_inspected"


@pytest.fixture(scope="module")
def broker():
    """A vhost with the exchanges and a queue the suite declares, and users as setup.sh makes them."""
    vhost, run = new_vhost(), uuid.uuid4().hex[:8]
    users = {}
    try:
        with pika.BlockingConnection(pika.URLParameters(f"amqp://guest:guest@127.0.0.1:5672/{vhost}")) as admin:
            channel = admin.channel()
            for service in ("nomination", "supervision", "examination"):
                channel.exchange_declare(f"{service}.events", exchange_type="topic", durable=True)
            channel.queue_declare(SUPERVISION_QUEUE, durable=True)
            channel.queue_bind(SUPERVISION_QUEUE, "nomination.events", routing_key="selection.inspected")
        for service in ("nomination", "supervision", "examination"):
            user, password = f"{service}-{run}", uuid.uuid4().hex
            rules = json.loads((PERMISSIONS / f"{service}.json").read_text())
            assert rabbitmqctl("add_user", user, password).returncode == 0
            out = rabbitmqctl("set_permissions", "-p", vhost, user, rules["configure"], rules["write"], rules["read"])
            assert out.returncode == 0, out.stderr
            users[service] = f"amqp://{user}:{password}@127.0.0.1:5672/{vhost}"
        yield users
    finally:
        for service in ("nomination", "supervision", "examination"):
            rabbitmqctl("delete_user", f"{service}-{run}")
        drop_vhost(vhost)


def publish(uri, exchange, routing_key):
    with pika.BlockingConnection(pika.URLParameters(uri)) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(exchange, routing_key, b"{}", pika.BasicProperties(delivery_mode=2))


def test_every_process_has_its_rules_and_they_are_regexes():
    import re

    names = {p.stem for p in PERMISSIONS.glob("*.json")}
    assert names == {"nomination", "examination", "supervision", "records", "gateway"}
    for path in PERMISSIONS.glob("*.json"):
        rules = json.loads(path.read_text())
        assert set(rules) == {"configure", "write", "read"}
        for rule in rules.values():
            re.compile(rule)
        assert not re.fullmatch(
            rules["write"], "nomination.events" if path.stem != "nomination" else "supervision.events"
        )


def test_a_service_publishes_on_its_own_exchange(broker):
    publish(broker["nomination"], "nomination.events", "selection.inspected")  # confirmed, no error


def test_a_service_cannot_publish_on_another_services_exchange(broker):
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as refused:
        publish(broker["nomination"], "supervision.events", "pre_report.approved")
    assert refused.value.reply_code == 403


def test_examination_cannot_listen_to_nominations_events(broker):
    """An insider with examination's broker credentials binds a queue of a name its rules allow to
    nomination.events, to read the selections going by: refused, since examination consumes none of them."""
    with pika.BlockingConnection(pika.URLParameters(broker["examination"])) as connection:
        channel = connection.channel()
        queue = f"evt-nomination-selection.inspected--examination.tap-{uuid.uuid4().hex[:6]}"
        channel.queue_declare(queue, auto_delete=True)  # its own queue: allowed
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as refused:
            channel.queue_bind(queue, "nomination.events", routing_key="#")
    assert refused.value.reply_code == 403


def test_a_service_consumes_its_own_queues_and_no_other(broker):
    with pika.BlockingConnection(pika.URLParameters(broker["supervision"])) as connection:
        connection.channel().basic_get(SUPERVISION_QUEUE, auto_ack=False)
    with pika.BlockingConnection(pika.URLParameters(broker["nomination"])) as connection:
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as refused:
            connection.channel().basic_get(SUPERVISION_QUEUE, auto_ack=False)
    assert refused.value.reply_code == 403


@pytest.fixture(scope="module")
def confined():
    """The whole suite, each process connected as its own user with setup.sh's rules."""
    from tests.harness import Suite

    suite = Suite()
    run = uuid.uuid4().hex[:8]
    names = ("nomination", "examination", "supervision", "records", "gateway")
    try:
        for service in names:
            user, password = f"{service}-{run}", uuid.uuid4().hex
            rules = json.loads((PERMISSIONS / f"{service}.json").read_text())
            assert rabbitmqctl("add_user", user, password).returncode == 0
            assert (
                rabbitmqctl(
                    "set_permissions", "-p", suite.vhost, user, rules["configure"], rules["write"], rules["read"]
                ).returncode
                == 0
            )
            suite.env[f"{service.upper()}_AMQP_URI"] = f"amqp://{user}:{password}@127.0.0.1:5672/{suite.vhost}"
        suite.start()
        yield suite
    finally:
        suite.stop()
        for service in names:
            rabbitmqctl("delete_user", f"{service}-{run}")


def test_the_suite_runs_under_those_users(confined):
    """The rules are enough: RPC both ways, events from nomination to supervision and to the records writer."""
    from tests.e2e.records_helpers import entries_about
    from tests.e2e.test_nomination_supervised import inspected
    from tests.e2e.test_nomination_support import principals

    api = principals(confined.api)
    w = inspected(api)  # nomination's selection.inspected opened supervision's reviews
    entries_about(api, f"selection:{w['selection']}", {"selection inspected", "review opened"})
    # examination asks nomination which units are the district's (a read RPC through its own reply queue)
    unit = f"U-{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/units", {"code": unit, "name": "Township"}, as_="org").status_code == 201
    vendor = {"code": f"V-{uuid.uuid4().hex[:8]}", "name": "Firm", "roles": ["grading"], "affiliations": [unit]}
    vendor["signing_key"] = base64.b64encode(SigningKey.generate().verify_key.encode()).decode()
    r = api.post("/api/v1/vendors", vendor, as_="org")
    assert r.status_code == 422 and r.json()["code"] == "not_outside", r.text
