"""scripts/suite.py's CADRE_REPLICAS: how many processes of each service, and the ports of a second replica."""

from scripts.suite import replica_environment, replicas, service_command
from services.common import config


def test_one_of_each_by_default():
    assert set(replicas({}).values()) == {1}


def test_named_services_get_their_count():
    counts = replicas({"CADRE_REPLICAS": "nomination=2, gateway=2"})
    assert counts["nomination"] == 2 and counts["gateway"] == 2 and counts["examination"] == 1


def test_a_second_replica_takes_its_own_ports():
    env = {"GATEWAY_PORT": "8000", "GATEWAY_PORT_2": "8100", "RECORDS_METRICS_PORT": "9104"}
    assert replica_environment(env, "gateway-2")["GATEWAY_PORT"] == "8100"
    assert replica_environment(env, "records-2")["RECORDS_METRICS_PORT"] == "9105"
    assert replica_environment(env, "records") is env
    assert service_command("records-2") == service_command("records")


def test_amqp_uris_split_a_cluster():
    assert config.amqp_uris("amqp://a:1/v;amqp://b:2/v") == ["amqp://a:1/v", "amqp://b:2/v"]
    assert config.amqp_uris("amqp://a:1/v") == ["amqp://a:1/v"]
