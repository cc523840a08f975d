"""Endpoints of API.md "Nomination"."""
from gateway.routing import Route
from services.nomination import schemas as s

SERVICE = "nomination"
TAGS = ("nomination",)

ROUTES = [
    Route("POST", "/api/v1/units", SERVICE, "create_unit", "Create a unit", body=s.UnitIn, response=s.UnitOut, status=201, tags=TAGS),
    Route("POST", "/api/v1/posts", SERVICE, "create_post", "Create a post with its headcount", body=s.PostIn, response=s.PostOut, status=201, tags=TAGS),
    Route("GET", "/api/v1/posts/<code>", SERVICE, "get_post", "A post and its headcount books", response=s.PostOut, tags=TAGS),
    Route("POST", "/api/v1/cadres", SERVICE, "create_cadre", "Create a cadre", body=s.CadreIn, response=s.CadreOut, status=201, tags=TAGS),
]
