"""Holding broker credentials is not enough to act (DESIGN.md "Security", docs/THREATS.md §3–4).

The attacker here has the suite's broker URI and nothing else: it publishes envelopes on a service's
exchange and RPC requests on the services' queues directly. Forged events are dead-lettered unseen by
the handlers and the records writer; forged, unsigned or expired caller contexts are refused.
Each attack is followed by a genuine act on the same path, so its absence is observed, not waited for.
"""

import time
import uuid

import pytest
from nacl.signing import SigningKey

from services.common.errors import CadreError
from tests.e2e.records_helpers import all_entries, entries_about, publish
from tests.hostile.test_abuse import metric
from tests.e2e.test_nomination_supervised import cleared, decide
from tests.e2e.test_nomination_support import ok
from tests.harness import eventually
from tests.signing import call_as_gateway, gateway_context, rpc, sign, sign_with


def forged_approval(sel, source="supervision"):
    from services.common.envelope import make_envelope

    return make_envelope(
        "pre_report.approved",
        source,
        f"selection:{sel}",
        {"selection": sel, "pre_report": "x"},
        actor="superior",
        correlation_id=f"forged-{uuid.uuid4().hex}",
    )


def refused_for_want_of_a_pre_report(api, sel, cadres):
    body = decide(api, sel, cadres).json()
    return body.get("code") == "pre_report_required"


def approved_pre_report(api, sel):
    report = ok(api.post(f"/api/v1/selections/{sel}/pre-report", {}, as_="org"), 201)
    ok(api.post(f"/api/v1/pre-reports/{report['id']}/approve", {}, as_="superior"))
    return report


def test_a_forged_approval_on_the_bus_changes_nothing_and_is_not_recorded(suite, api):
    target = cleared(api, category="key_leadership", post_rank="section", cadre_rank="deputy_section")
    marker = cleared(api, category="key_leadership", post_rank="section", cadre_rank="deputy_section")
    sel, cadres = target["selection"], target["cadres"]
    eventually(lambda: refused_for_want_of_a_pre_report(api, sel, cadres), timeout=30)

    unsigned = forged_approval(sel)
    wrong_key = sign_with(SigningKey.generate(), forged_approval(sel))
    other_service = sign(suite, forged_approval(sel, source="nomination"), as_="nomination")
    other_service["source"] = "supervision"  # nomination's key, claiming to be supervision
    misrouted = sign(suite, forged_approval(sel, source="nomination"), as_="nomination")  # genuine, wrong exchange
    forged = [unsigned, wrong_key, other_service, misrouted]
    rejected = {
        (s, r): metric(suite, f"{s.upper()}_METRICS_PORT", "cadre_events_rejected_total", reason=r)
        for s in ("nomination", "records")
        for r in ("unsigned", "forged", "wrong_source")
    }
    publish(suite, forged, source="supervision", signed=False)  # as they are, not re-signed

    # The genuine approval of another selection travels behind the forgeries on the same queues.
    approved_pre_report(api, marker["selection"])
    eventually(lambda: decide(api, marker["selection"], marker["cadres"]).status_code == 200, timeout=30)
    entries_about(api, f"selection:{marker['selection']}", {"pre report approved"})

    assert refused_for_want_of_a_pre_report(api, sel, cadres)
    recorded = {e["correlation_id"] for e in all_entries(api, subject=f"selection:{sel}")}
    assert not recorded & {e["correlation_id"] for e in forged}
    # ... and each was counted where it was refused, by why
    for (service, reason), before in rejected.items():
        expected = {"unsigned": 1, "forged": 2, "wrong_source": 1}[reason]
        assert (
            metric(suite, f"{service.upper()}_METRICS_PORT", "cadre_events_rejected_total", reason=reason) - before
            == expected
        ), (service, reason)


def test_an_rpc_with_a_forged_unsigned_or_expired_context_is_refused(suite, api):
    w = cleared(api, category="key_leadership", post_rank="section", cadre_rank="deputy_section")
    sel, cadres = w["selection"], w["cadres"]
    report = ok(api.post(f"/api/v1/selections/{sel}/pre-report", {}, as_="org"), 201)

    unsigned = {
        "cadre_actor": "superior",
        "cadre_role": "superior",
        "cadre_correlation_id": "forged",
        "cadre_deadline": f"{time.time() + 5:.3f}",
    }
    wrong_key = gateway_context(suite, "superior", "superior", key=SigningKey.generate())
    expired = gateway_context(suite, "superior", "superior", ttl=-1)
    genuine = gateway_context(suite, "org", "org")
    tampered = dict(genuine, cadre_actor="superior", cadre_role="superior")  # the gateway signed it for org
    refusals = {
        r: metric(suite, "SUPERVISION_METRICS_PORT", "cadre_rpc_rejected_total", reason=r)
        for r in ("unsigned", "forged", "expired")
    }
    for context in (unsigned, wrong_key, expired, tampered):
        with pytest.raises(CadreError) as refused:
            rpc(suite, "supervision", "approve_pre_report", context, id=report["id"])
        assert (refused.value.status, refused.value.code) == (403, "forbidden")
    eventually(lambda: refused_for_want_of_a_pre_report(api, sel, cadres), timeout=30)
    assert {
        r: metric(suite, "SUPERVISION_METRICS_PORT", "cadre_rpc_rejected_total", reason=r) - before
        for r, before in refusals.items()
    } == {"unsigned": 1, "forged": 2, "expired": 1}

    # The same request as the gateway makes it is carried out: the refusals above were the context's.
    approved = call_as_gateway(suite, "supervision", "approve_pre_report", "superior", "superior", id=report["id"])
    assert approved["status"] == "approved"
    eventually(lambda: decide(api, sel, cadres).status_code == 200, timeout=30)
