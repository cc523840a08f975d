"""The caller a worker sees: every entry the gateway put into the RPC context, blanks as None."""

from services.common import context


def worker_with(data):
    return type("Worker", (), {"data": data})()


def provider_of(service):
    provider = context.RequestContext()
    provider.container = type("Container", (), {"service_name": service})()
    return provider


def test_the_caller_carries_every_entry_of_the_context():
    data = {
        context.ACTOR: "org-dept",
        context.ROLE: "org",
        context.CORRELATION_ID: "req-7",
        context.REQUEST_KEY: "K",
        context.ANSWER_KEY: "A",
    }
    assert provider_of("nomination").get_dependency(worker_with(data)) == context.Caller(
        "nomination", "org-dept", "org", "req-7", "K", "A"
    )


def test_blank_or_missing_entries_are_none_to_the_caller():
    blank = {name: "" for name in (context.ACTOR, context.ROLE, context.CORRELATION_ID, context.ANSWER_KEY)}
    for data in ({}, blank):
        assert provider_of("records").get_dependency(worker_with(data)) == context.Caller(
            "records", None, None, None, None, None
        )


def test_the_gateway_sends_blanks_for_what_it_does_not_know():
    # nameko carries context data as text: a None would not travel as None
    assert context.context_for(None, None, None) == {
        "cadre_actor": "",
        "cadre_role": "",
        "cadre_correlation_id": "",
    }
