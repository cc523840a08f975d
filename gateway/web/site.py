"""The web pages' URL map and entry point: which handler serves a page, the sign-in gate of the console,
refusals as error pages, and the pages' HTTP metrics (docs/web.md)."""

import time

from werkzeug.exceptions import MethodNotAllowed, NotFound as PageNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from gateway.web import ballot_pages, console, public, selection_pages, supervision_pages
from gateway.web.app import Page, Refused, static_file
from services.common import metrics as chassis_metrics
from services.common.errors import CadreError

PAGES = Map(
    [
        Rule("/", endpoint="home"),
        Rule("/web/", endpoint="home"),
        Rule("/web/static/<path:name>", endpoint="static"),
        Rule("/web/notices", endpoint="notices"),
        Rule("/web/notices/<id>/objection", endpoint="objection", methods=["POST"]),
        Rule("/web/disclosures", endpoint="disclosures"),
        Rule("/web/results", endpoint="results"),
        Rule("/web/check", endpoint="check"),
        Rule("/web/ballot", endpoint="ballot", methods=["GET", "POST"]),
        Rule("/web/ballot/check", endpoint="ballot_check"),
        Rule("/web/login", endpoint="login", methods=["GET", "POST"]),
        Rule("/web/logout", endpoint="logout", methods=["POST"]),
        Rule("/web/console", endpoint="console"),
        Rule("/web/console/selections", endpoint="selections", methods=["GET", "POST"]),
        Rule("/web/console/selections/<id>", endpoint="selection"),
        Rule("/web/console/selections/<id>/ranking", endpoint="ranking"),
        Rule("/web/console/selections/<id>/<action>", endpoint="selection_action", methods=["POST"]),
        Rule("/web/console/registry", endpoint="registry", methods=["GET", "POST"]),
        Rule("/web/console/campaigns", endpoint="campaigns", methods=["GET", "POST"]),
        Rule("/web/console/campaigns/<code>", endpoint="campaign", methods=["GET", "POST"]),
        Rule("/web/console/assessments", endpoint="assessments", methods=["GET", "POST"]),
        Rule("/web/console/reviews", endpoint="reviews", methods=["GET", "POST"]),
        Rule("/web/console/decisions", endpoint="decisions", methods=["GET", "POST"]),
        Rule("/web/console/oversight", endpoint="oversight", methods=["GET", "POST"]),
        Rule("/web/console/objections", endpoint="objections", methods=["GET", "POST"]),
        Rule("/web/console/unseal", endpoint="unseal", methods=["GET", "POST"]),
        Rule("/web/console/records", endpoint="records"),
        Rule("/web/console/dossier", endpoint="dossier"),
        Rule("/web/console/ballot-board", endpoint="console_ballot_board"),
    ],
    strict_slashes=False,
)


HANDLERS = {
    "home": public.home,
    "notices": public.notices,
    "objection": public.objection,
    "disclosures": public.disclosures,
    "results": public.results,
    "check": public.check,
    "ballot": ballot_pages.ballot,
    "ballot_check": ballot_pages.ballot_check,
    "login": public.login,
    "logout": public.logout,
    "console": console.console,
    "registry": console.registry,
    "campaigns": console.campaigns,
    "campaign": console.campaign,
    "assessments": supervision_pages.assessments,
    "reviews": supervision_pages.reviews,
    "oversight": supervision_pages.oversight,
    "objections": supervision_pages.objections,
    "unseal": console.unseal,
    "records": console.records,
    "dossier": console.dossier,
    "console_ballot_board": ballot_pages.board,
    "selections": selection_pages.selections,
    "selection": selection_pages.selection,
    "selection_action": selection_pages.selection_action,
    "ranking": selection_pages.ranking,
    "decisions": selection_pages.decisions,
}


def serve(pipeline, request):
    """Entry point from the gateway's @http hook; every page request is counted in the gateway's HTTP
    metrics under ``web:<page>`` (the page's name, never an id from its path)."""
    started = time.perf_counter()
    endpoint = "web:unmatched"
    try:
        endpoint, response = _serve_page(pipeline, request)
    except Exception:
        chassis_metrics.HTTP_REQUESTS.labels(request.method, endpoint, "500").inc()
        raise
    chassis_metrics.HTTP_REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    chassis_metrics.HTTP_DURATION.labels(request.method, endpoint).observe(time.perf_counter() - started)
    return response


def _serve_page(pipeline, request):
    """(``web:<page>``, the response) of one page request."""
    static = request.path.startswith("/web/static/")
    if static:
        response = static_file(request.path[len("/web/static/") :])
        return "web:static", response if response is not None else _plain(404, "not found")
    page = Page(pipeline, request)
    page.menu = console.menu(page) if page.session is not None else []
    try:
        endpoint, params = PAGES.bind("localhost").match(request.path, method=request.method)
    except MethodNotAllowed:
        return "web:unmatched", page.render("error.html", status=405, code="method_not_allowed", detail=request.method)
    except PageNotFound:
        return "web:unmatched", page.render("error.html", status=404, code="not_found", detail=request.path)
    return "web:" + endpoint, _handle(page, request, endpoint, params)


def _handle(page, request, endpoint, params):
    if (
        endpoint.startswith(
            (
                "console",
                "selection",
                "ranking",
                "registry",
                "campaign",
                "reviews",
                "decisions",
                "oversight",
                "objections",
                "unseal",
                "records",
                "dossier",
                "assessments",
            )
        )
        and page.session is None
    ):
        return page.redirect("/web/login?next=" + request.path)
    try:
        if request.method == "POST":
            page.check_post()
        return HANDLERS[endpoint](page, **params)
    except Refused as refused:
        return page.render("error.html", status=403, code="forbidden", detail=str(refused))
    except CadreError as error:
        return page.render("error.html", status=error.status, code=error.code, detail=error.detail)


def _plain(status, text):
    return Response(text, status=status, content_type="text/plain; charset=utf-8")
