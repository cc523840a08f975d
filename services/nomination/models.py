"""The nomination service's documents: units, posts with their headcount books, cadres."""
from mongoengine import IntField, StringField

from services.common.outbox import Aggregate


class Unit(Aggregate):
    """A local unit (单位): a township, a bureau, a department of the district."""

    code = StringField(required=True, unique=True)
    name = StringField(required=True)
    meta = {"collection": "units"}


class Post(Aggregate):
    """A leadership post with its authorised headcount (职数) and rank (职级).

    ``occupied`` and ``reserved`` only ever change by atomic ``$inc`` guarded by the headcount,
    so two selections can never promise the same seat.
    """

    code = StringField(required=True, unique=True)
    unit = StringField(required=True)
    title = StringField(required=True)
    rank = StringField(required=True)
    category = StringField(required=True)
    headcount = IntField(required=True, min_value=1)
    occupied = IntField(default=0)
    reserved = IntField(default=0)
    meta = {"collection": "posts"}


class Cadre(Aggregate):
    """A cadre (干部) who may be nominated."""

    code = StringField(required=True, unique=True)
    name = StringField(required=True)
    unit = StringField(required=True)
    rank = StringField(required=True)
    grassroots_years = IntField(required=True, min_value=0)
    meta = {"collection": "cadres"}
