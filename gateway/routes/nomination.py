"""Endpoints of API.md "Nomination"."""
from gateway.routing import Route
import services.nomination.contract as s

SERVICE = "nomination"
TAGS = ("nomination",)

ROUTES = [
    Route("POST", "/api/v1/units", SERVICE, "create_unit", "Create a unit", body=s.UnitIn, response=s.UnitOut, status=201, tags=TAGS),
    Route("POST", "/api/v1/posts", SERVICE, "create_post", "Create a post with its headcount", body=s.PostIn, response=s.PostOut, status=201, tags=TAGS),
    Route("POST", "/api/v1/posts/import", SERVICE, "import_posts", "Import posts from CSV (good rows are kept)", csv=True, response=s.ImportOut, tags=TAGS),
    Route("GET", "/api/v1/posts/<code>", SERVICE, "get_post", "A post and its headcount books", response=s.PostOut, tags=TAGS),
    Route("POST", "/api/v1/cadres", SERVICE, "create_cadre", "Create a cadre", body=s.CadreIn, response=s.CadreOut, status=201, tags=TAGS),
    Route("POST", "/api/v1/cadres/import", SERVICE, "import_cadres", "Import cadres from CSV (good rows are kept)", csv=True, response=s.ImportOut, tags=TAGS),
    Route("POST", "/api/v1/selections", SERVICE, "create_selection", "Open a selection of a post (reserves its vacancies)", body=s.SelectionIn, response=s.SelectionOut, status=201, tags=TAGS),
    Route("GET", "/api/v1/selections/<id>", SERVICE, "get_selection", "A selection with its stage, nominees and history", response=s.SelectionDetail, tags=TAGS),
    Route("GET", "/api/v1/selections/<id>/ranking", SERVICE, "get_ranking", "Nominees ranked by the four emphases", response=s.RankingOut, tags=TAGS),
    Route("POST", "/api/v1/selections/<id>/qualification", SERVICE, "qualify", "Set the qualification conditions and scope", body=s.QualificationIn, response=s.SelectionDetail, tags=TAGS),
    Route("POST", "/api/v1/selections/<id>/consultations", SERVICE, "consult", "Record the opinion of the leader in charge or the grassroots", body=s.ConsultationIn, response=s.SelectionDetail, tags=TAGS),
    Route("POST", "/api/v1/selections/<id>/ballot-sessions", SERVICE, "open_ballot_session", "Open a secret-ballot session; its single-use tokens are returned only here", body=s.BallotSessionIn, response=s.BallotSessionOut, status=201, tags=TAGS),
    Route("POST", "/api/v1/ballots", SERVICE, "cast_ballot", "Cast a secret ballot with a single-use token", body=s.BallotIn, response=s.BallotOut, status=201, rate_limited="refusals", tags=TAGS),
    Route("POST", "/api/v1/ballot-forms", SERVICE, "ballot_form", "The seats and candidates (by name) a ballot token may vote for; nothing is cast", body=s.BallotFormIn, response=s.BallotFormOut, rate_limited="refusals", tags=TAGS),
    Route("GET", "/api/v1/ballots/<tracker>", SERVICE, "get_ballot_receipt", "Whether the ballot with this tracker was counted (never how it was cast)", response=s.ReceiptOut, tags=TAGS),
    Route("GET", "/api/v1/ballot-sessions/<id>/board", SERVICE, "get_ballot_board", "After the close: the session's trackers, its ballots and its results", response=s.BoardOut, tags=TAGS),
    Route("POST", "/api/v1/ballot-sessions/<id>/close", SERVICE, "close_ballot_session", "Close a ballot session and tally it", response=s.TallyOut, tags=TAGS),
    Route("POST", "/api/v1/selections/<id>/nominations", SERVICE, "nominate", "Nominate a cadre (the six disciplines apply)", body=s.NominationIn, response=s.NominationOut, status=201, tags=TAGS),
    Route("POST", "/api/v1/selections/<id>/deliberation", SERVICE, "deliberate", "Fix the initial nominees (deliberation meeting)", body=s.DeliberationIn, response=s.SelectionDetail, tags=TAGS),
    Route("POST", "/api/v1/selections/<id>/inspection", SERVICE, "inspect", "Record the inspection reports; opens the joint reviews", body=s.InspectionIn, response=s.SelectionDetail, tags=TAGS),
    Route("POST", "/api/v1/selections/<id>/decision", SERVICE, "decide", "The committee's decision; opens the public notice", body=s.DecisionIn, response=s.SelectionDetail, tags=TAGS),
    Route("POST", "/api/v1/selections/<id>/appointment", SERVICE, "appoint", "Appoint after the public notice", response=s.SelectionDetail, tags=TAGS),
    Route("POST", "/api/v1/selections/<id>/filing", SERVICE, "file", "Record the post-appointment filing; closes the selection", body=s.FilingIn, response=s.SelectionDetail, tags=TAGS),
]
