"""Loading a message with its marshmallow schema, failing as a 400 that names each field."""

from marshmallow import ValidationError

from services.common.errors import Invalid


def load(schema, data, **kwargs):
    try:
        return schema.load(data if data is not None else {}, **kwargs)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise Invalid(messages)
