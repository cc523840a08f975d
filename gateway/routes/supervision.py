"""Endpoints of API.md "Supervision"."""
from gateway.routing import Route
import services.supervision.contract as s

SERVICE = "supervision"
TAGS = ("supervision",)

ROUTES = [
    Route("GET", "/api/v1/reviews", SERVICE, "list_reviews",
          "Joint reviews, by selection or status (a department sees only its own verdicts)",
          query=s.ReviewQuery, response=s.ReviewPage, tags=TAGS),
    Route("POST", "/api/v1/reviews/<id>/verdicts", SERVICE, "give_verdict",
          "The calling department's verdict in a joint review", body=s.VerdictIn, response=s.ReviewOut, tags=TAGS),
    Route("POST", "/api/v1/selections/<id>/pre-report", SERVICE, "submit_pre_report",
          "Report a selection to the superior organ before appointment", body=s.PreReportIn,
          response=s.PreReportOut, status=201, tags=TAGS),
    Route("POST", "/api/v1/pre-reports/<id>/approve", SERVICE, "approve_pre_report",
          "The superior approves a pre-appointment report", response=s.PreReportOut, tags=TAGS),
    Route("POST", "/api/v1/selections/<id>/observer", SERVICE, "name_observer",
          "The superior names its observer at the decision meeting", body=s.ObserverIn,
          response=s.ObserverOut, tags=TAGS),
    Route("GET", "/api/v1/filings", SERVICE, "list_filings", "Post-appointment filings, by status",
          query=s.FilingQuery, response=s.FilingPage, tags=TAGS),
    Route("GET", "/api/v1/notices", SERVICE, "list_notices", "Public notices, open and closed, newest first",
          query=s.NoticeQuery, response=s.NoticePage, tags=TAGS),
    Route("POST", "/api/v1/notices/<id>/objections", SERVICE, "lodge_objection",
          "Lodge an objection to a notice while it is open (no identity kept)", body=s.ObjectionIn,
          response=s.CreatedOut, status=201, rate_limited=True, tags=TAGS),
    Route("GET", "/api/v1/notices/<id>/objections", SERVICE, "list_objections",
          "A notice's objections with their content, for those who resolve them", query=s.ListQuery,
          response=s.ObjectionPage, tags=TAGS),
    Route("POST", "/api/v1/objections/<id>/resolve", SERVICE, "resolve_objection",
          "Resolve an objection: upheld or not, with the finding", body=s.ResolveIn,
          response=s.ObjectionOut, tags=TAGS),
    Route("POST", "/api/v1/assessments", SERVICE, "record_assessment",
          "Record a unit's (or a cadre's) routine-assessment score for a period", body=s.AssessmentIn,
          response=s.AssessmentOut, tags=TAGS),
    Route("GET", "/api/v1/assessments/<period>/ranking", SERVICE, "assessment_ranking",
          "Units ranked by score; the bottom N are key-management units", query=s.RankingQuery,
          response=s.RankingOut, tags=TAGS),
]
