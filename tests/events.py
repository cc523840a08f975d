"""Events as their producers send them: a test that stands in for a producer publishes only data the
producer's own schema accepts, so a consumer is tested on what it will really receive."""

from importlib import import_module


def as_sent(source, event_type, data):
    """``data`` dumped through the schema ``source`` sends ``event_type`` with (its contract's ``SENT``), after
    checking that it is complete and well-formed; a test publishing less proves less than its name says."""
    schema = import_module(f"services.{source}.contract").SENT[event_type]()
    errors = schema.validate(data)
    if errors:
        raise AssertionError(f"{source} never sends {event_type} like this: {errors}")
    return schema.dump(data)
