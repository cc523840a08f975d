"""Marshmallow schemas of every message the nomination service takes or sends."""
from marshmallow import Schema, fields, validate

RANKS = ("clerk", "deputy_section", "section")
CATEGORIES = ("key_leadership", "promotion", "lateral_transfer", "public_selection")
CODE = validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$", error="1-64 letters, digits, '-' or '_'")


def Code(**kwargs):
    return fields.String(validate=CODE, **kwargs)


class UnitIn(Schema):
    code = Code(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class UnitOut(UnitIn):
    pass


class PostIn(Schema):
    code = Code(required=True)
    unit = Code(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    rank = fields.String(required=True, validate=validate.OneOf(RANKS))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    headcount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))


class PostOut(PostIn):
    occupied = fields.Integer()
    reserved = fields.Integer()
    vacancies = fields.Integer()


class CadreIn(Schema):
    code = Code(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    unit = Code(required=True)
    rank = fields.String(required=True, validate=validate.OneOf(RANKS))
    grassroots_years = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=60))


class CadreOut(CadreIn):
    pass


class UnitCreated(Schema):
    """Data of ``unit.created``."""

    code = Code(required=True)
    name = fields.String(required=True)


class PostCreated(Schema):
    """Data of ``post.created``."""

    code = Code(required=True)
    unit = Code(required=True)
    rank = fields.String(required=True)
    category = fields.String(required=True)
    headcount = fields.Integer(required=True)


class CadreCreated(Schema):
    """Data of ``cadre.created`` (no name: events carry no personal data they do not need)."""

    code = Code(required=True)
    unit = Code(required=True)
    rank = fields.String(required=True)
