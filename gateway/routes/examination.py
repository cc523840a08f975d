"""Endpoints of API.md "Examination"."""
from gateway.presentation import results_csv
from gateway.routing import Answer, Route
import services.examination.contract as s

SERVICE = "examination"
TAGS = ("examination",)


def render_results(result, inputs):
    """JSON, or CSV when the client asks for ``text/csv`` (the notice-board export)."""
    if inputs.accept.best_match(["application/json", "text/csv"]) == "text/csv":
        # BOM: spreadsheet programs then read the Chinese names as UTF-8
        return Answer(200, text="\ufeff" + results_csv(result), content_type="text/csv; charset=utf-8",
                      headers={"Content-Disposition": 'attachment; filename="results.csv"'})
    return Answer(200, result)


ROUTES = [
    Route("POST", "/api/v1/vendors", SERVICE, "register_vendor", "Register an outside vendor",
          body=s.VendorIn, response=s.VendorOut, status=201, tags=TAGS),
    Route("POST", "/api/v1/campaigns", SERVICE, "create_campaign",
          "Open a campaign; the answer carries the officers' key shares, once",
          body=s.CampaignIn, response=s.CampaignOut, status=201, tags=TAGS),
    Route("POST", "/api/v1/campaigns/<code>/vendors", SERVICE, "assign_vendor", "Assign a vendor in one role",
          body=s.AssignmentIn, response=s.AssignmentOut, tags=TAGS),
    Route("POST", "/api/v1/campaigns/<code>/papers", SERVICE, "commit_paper", "Commit to an exam paper (vendor)",
          body=s.PaperIn, response=s.PaperCreated, status=201, tags=TAGS),
    Route("POST", "/api/v1/papers/<id>/reveal", SERVICE, "reveal_paper", "Reveal a committed paper (vendor)",
          body=s.RevealIn, response=s.PaperOut, tags=TAGS),
    Route("POST", "/api/v1/campaigns/<code>/interview-draw", SERVICE, "interview_draw",
          "Draw the interview examiners and the candidates' order", body=s.DrawIn, response=s.DrawOut, tags=TAGS),
    Route("POST", "/api/v1/campaigns/<code>/applications", SERVICE, "create_application", "Register an application",
          body=s.ApplicationIn, response=s.ApplicationCreated, status=201, tags=TAGS),
    Route("POST", "/api/v1/campaigns/<code>/applications/import", SERVICE, "import_applications",
          "Import applications from CSV (post,id_number,name,birth_date,education)", csv=True,
          response=s.ImportOut, tags=TAGS),
    Route("GET", "/api/v1/campaigns/<code>/applications", SERVICE, "list_applications", "List applications",
          query=s.ListQuery, tags=TAGS),
    Route("POST", "/api/v1/applications/<id>/eligibility", SERVICE, "decide_eligibility", "Decide eligibility",
          body=s.EligibilityIn, response=s.ApplicationOut, tags=TAGS),
    Route("POST", "/api/v1/campaigns/<code>/eligibility/import", SERVICE, "import_eligibility",
          "Decide eligibility from CSV (exam_number,eligible,reason)", csv=True, response=s.EligibilityImportOut,
          tags=TAGS),
    Route("POST", "/api/v1/campaigns/<code>/blind-codes", SERVICE, "assign_blind_codes",
          "Assign blind codes to the eligible", response=s.AssignedOut, tags=TAGS),
    Route("GET", "/api/v1/campaigns/<code>/blind-codes", SERVICE, "list_blind_codes",
          "Blind codes of a stage (org, or a vendor assigned for that stage)", query=s.BlindCodeQuery, tags=TAGS),
    Route("POST", "/api/v1/campaigns/<code>/sealed-sheets", SERVICE, "submit_sheet", "Submit a sealed score sheet",
          body=s.SheetIn, response=s.SheetReceived, status=202, tags=TAGS),
    Route("POST", "/api/v1/campaigns/<code>/unseal", SERVICE, "unseal", "Give an officer's key share to unseal a stage",
          body=s.UnsealActionIn, response=s.UnsealOut, tags=TAGS),
    Route("GET", "/api/v1/campaigns/<code>/results", SERVICE, "get_results",
          "Results (JSON, or text/csv for the notice board)", response=s.ResultsOut, render=render_results, tags=TAGS),
    Route("POST", "/api/v1/campaigns/<code>/publish", SERVICE, "publish_results", "Publish the results notice",
          response=s.PublishedOut, tags=TAGS),
]
