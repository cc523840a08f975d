"""Nomination service entrypoints: units, posts, cadres, selections."""
from services.common import outbox
from services.common.validation import load
from services.common.base import HealthMixin, chassis
from services.common.entrypoints import rpc
from services.common.errors import Invalid, NotFound
from services.nomination import schemas
from services.nomination.models import Cadre, Post, Unit


def post_view(post):
    return {
        "code": post.code,
        "unit": post.unit,
        "title": post.title,
        "rank": post.rank,
        "category": post.category,
        "headcount": post.headcount,
        "occupied": post.occupied,
        "reserved": post.reserved,
        "vacancies": post.headcount - post.occupied - post.reserved,
    }


def _require_unit(code, field="unit"):
    if not Unit.objects(code=code).only("code").first():
        raise Invalid({field: [f"unknown unit {code!r}"]})


class NominationService(HealthMixin):
    name = "nomination"
    db, caller, relay, metrics = chassis("nomination")

    @rpc
    def create_unit(self, body):
        body = load(schemas.UnitIn(), body)
        unit = Unit(**body)
        outbox.insert(unit, self.caller.envelope("unit.created", f"unit:{unit.code}", schemas.UnitCreated().dump(body)),
                      exists_detail=f"unit {unit.code!r} already exists")
        return schemas.UnitOut().dump(unit)

    @rpc
    def create_post(self, body):
        body = load(schemas.PostIn(), body)
        _require_unit(body["unit"])
        post = Post(**body)
        outbox.insert(post, self.caller.envelope("post.created", f"post:{post.code}", schemas.PostCreated().dump(body)),
                      exists_detail=f"post {post.code!r} already exists")
        return post_view(post)

    @rpc
    def get_post(self, code):
        post = Post.objects(code=code).first()
        if post is None:
            raise NotFound(f"no post {code!r}")
        return post_view(post)

    @rpc
    def create_cadre(self, body):
        body = load(schemas.CadreIn(), body)
        _require_unit(body["unit"])
        cadre = Cadre(**body)
        outbox.insert(cadre, self.caller.envelope("cadre.created", f"cadre:{cadre.code}", schemas.CadreCreated().dump(body)),
                      exists_detail=f"cadre {cadre.code!r} already exists")
        return schemas.CadreOut().dump(cadre)
