"""Lists as API.md defines them: ``?limit=`` and ``?cursor=`` in, ``{items, next_cursor}`` out."""

from marshmallow import EXCLUDE, Schema, fields, validate


class ListQuery(Schema):
    """``?limit=`` (default 50, max 500) and ``?cursor=`` of every list."""

    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


def page(rows, limit, cursor_of, view=None):
    """``{items, next_cursor}`` from the first ``limit + 1`` rows of a list in its order: the extra
    row is fetched only to tell that there is a next page, whose cursor ``cursor_of`` the last item."""
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [view(r) for r in rows] if view else list(rows),
        "next_cursor": cursor_of(rows[-1]) if more and rows else None,
    }


def page_of(item_schema, name=None, **extra_fields):
    """The schema of one page of ``item_schema`` (named ``<Item>Page`` unless told otherwise)."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "next_cursor": fields.String(allow_none=True),
            **extra_fields,
        },
        name=name or f"{item_schema.__name__.removesuffix('Out')}Page",
    )
