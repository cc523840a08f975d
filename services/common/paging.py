"""Lists as API.md defines them: ``?limit=`` and ``?cursor=`` in, ``{items, next_cursor}`` out."""
from marshmallow import EXCLUDE, Schema, fields, validate


class ListQuery(Schema):
    """``?limit=`` (default 50, max 500) and ``?cursor=`` of every list."""

    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


def page_of(item_schema, name=None, **extra_fields):
    """The schema of one page of ``item_schema`` (named ``<Item>Page`` unless told otherwise)."""
    return Schema.from_dict(
        {"items": fields.List(fields.Nested(item_schema)), "next_cursor": fields.String(allow_none=True), **extra_fields},
        name=name or f"{item_schema.__name__.removesuffix('Out')}Page",
    )
