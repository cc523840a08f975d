"""A steady mixed workload through the gateway, and the Jepsen-style accounting of what it was told.

Each client thread walks selections through the procedure (unit, post, cadre, selection,
qualification, consultations, ballot session, ballots, tally, nomination, deliberation,
inspection, the four departments' verdicts). Every request carries its own ``X-Request-ID`` and
``Idempotency-Key``, kept across retries, so the records entry its event makes can be matched
to it by ``correlation_id``. A request that fails with 5xx or no answer is retried (as a client
would) until a deadline; one that got a 2xx is *acknowledged* and must then be found exactly once.
"""

import collections
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import requests

from tests.harness import PYTHON, REPO, eventually

DEPARTMENTS = ("discipline", "audit", "family_planning", "petition")
ROLES = ("org", "committee", "auditor", "superior", *DEPARTMENTS)
# A retried request that hears one of these was already applied by an earlier, unanswered attempt.
ALREADY = {"exists", "token_used", "wrong_stage", "already_submitted", "out_of_order"}
# An error kind the workload counts when it is a bug of the workload itself, whatever the fault.
WORKLOAD_BUG = "workload bug"


def error_kind(status, code=None, after_unanswered=False):
    """The kind an error is counted under: ``"<status> <code>"`` for an HTTP answer (``"… after an unanswered
    attempt"`` when an earlier attempt of the same request got no answer, a 5xx or "still running"
    (``Op.retried``), so a 409 may only say it took effect), the exception's class name when nothing came
    back; ``None`` for a 2xx."""
    if isinstance(status, int):
        if 200 <= status < 300:
            return None
        kind = f"{status} {code}" if code else str(status)
        return f"{kind} after an unanswered attempt" if after_unanswered else kind
    return str(status)


def unexpected_errors(errors, expected):
    """The kinds of ``errors`` (a Counter) that are not ``expected``, with their counts."""
    return {kind: n for kind, n in errors.items() if kind not in expected}


@dataclass
class Attempt:
    started: float
    latency: float
    status: object  # int, or the exception's class name when nothing came back
    code: str = None


@dataclass
class Op:
    kind: str
    subject: str = None
    matter: str = None  # the records entry its event makes ("unit created" ...)
    rid: str = field(default_factory=lambda: str(uuid.uuid4()))
    attempts: list = field(default_factory=list)
    body: dict = None
    result: dict = None
    as_: str = None

    @property
    def acked(self):
        return any(isinstance(a.status, int) and 200 <= a.status < 300 for a in self.attempts)

    @property
    def final(self):
        return self.attempts[-1] if self.attempts else None

    @property
    def retried(self):
        """An earlier attempt got no answer, a 5xx, or 409 ``conflict`` (the first delivery of this key still
        running: a replica killed mid-request, its request redelivered to another), so the request may have
        run more than once, and a retry may learn that it took effect."""
        return any(
            not isinstance(a.status, int) or a.status >= 500 or (a.status == 409 and a.code == "conflict")
            for a in self.attempts[:-1]
        )

    @property
    def cast_by_a_lost_delivery(self):
        """A ballot whose only answer was ``token_used``: each of the workload's tokens is sent by one
        request only, so its token was spent by that request's own first delivery, whose replica died
        after storing the ballot and before storing its receipt (a death after the receipt is answered
        with it: services/nomination/ballot_box.cast). The tally must still count it exactly once."""
        return self.kind == "ballot" and not self.acked and self.final.status == 409 and self.final.code == "token_used"

    @property
    def already(self):
        """Not acknowledged, but a retry learnt that an earlier attempt took effect."""
        return (
            not self.acked
            and self.retried
            and self.final is not None
            and self.final.status == 409
            and self.final.code in ALREADY
        )


def now_iso(delta=timedelta()):
    return (datetime.now(timezone.utc) + delta).isoformat()


class Workload:
    """``threads`` clients walking selections until ``stop()``; ``ops`` is everything they were told."""

    def __init__(self, base, tokens, threads=4, retry_for=45.0, request_timeout=20.0):
        self.base = base
        self.tokens = tokens
        self.threads = threads
        self.retry_for = retry_for
        self.request_timeout = request_timeout
        self.ops = []
        self.tallies = []  # (session, ballots acknowledged or already cast, tally's cast)
        self.flows = collections.Counter()
        self.errors = collections.Counter()  # every error seen, by error_kind
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers = []

    # -- driving ------------------------------------------------------------------------------
    def start(self):
        for n in range(self.threads):
            thread = threading.Thread(target=self._client, args=(n,), daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def stop(self, join_timeout=120):
        self._stop.set()
        for thread in self._workers:
            thread.join(join_timeout)

    def _client(self, n):
        session = requests.Session()
        while not self._stop.is_set():
            try:
                outcome = self._flow(session)
            except Exception as exc:  # a bug in the workload itself must not go unseen
                outcome = f"error:{type(exc).__name__}:{exc}"[:120]
                self.saw(f"{WORKLOAD_BUG}: {type(exc).__name__}")
            with self._lock:
                self.flows[outcome] += 1

    def saw(self, kind):
        if kind is not None:
            with self._lock:
                self.errors[kind] += 1

    def call(self, session, kind, method, path, body=None, as_=None, subject=None, matter=None, stop_aware=True):
        op = Op(kind, subject, matter, body=body, as_=as_)
        key = str(uuid.uuid4())
        headers = {"X-Request-ID": op.rid}
        if as_:
            headers["Authorization"] = f"Bearer {self.tokens[as_]}"
        if method == "POST":
            headers["Idempotency-Key"] = key
        deadline = time.monotonic() + self.retry_for
        while True:
            started = time.monotonic()
            try:
                r = session.request(method, self.base + path, json=body, headers=headers, timeout=self.request_timeout)
                code = None
                if r.headers.get("Content-Type", "").startswith("application/problem+json"):
                    code = r.json().get("code")
                elif 200 <= r.status_code < 300:
                    op.result = r.json()
                op.attempts.append(Attempt(started, time.monotonic() - started, r.status_code, code))
                retry = r.status_code >= 500 or (r.status_code == 409 and code == "conflict")
            except requests.RequestException as exc:
                op.attempts.append(Attempt(started, time.monotonic() - started, type(exc).__name__))
                retry = True
            self.saw(error_kind(op.attempts[-1].status, op.attempts[-1].code, op.retried))
            if not retry or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        with self._lock:
            self.ops.append(op)
        return op

    def _ok(self, op):
        if op.acked or op.already:
            return op
        raise Abandon(op.kind, op.final.status if op.final else None, op.final.code if op.final else None)

    def _flow(self, s):
        try:
            return self._walk(s)
        except Abandon as exc:
            return f"abandoned at {exc.args[0]} ({exc.args[1]} {exc.args[2]})"

    def _walk(self, s):
        tag = uuid.uuid4().hex[:10]
        unit, post, cadre = f"FU-{tag}", f"FP-{tag}", f"FC-{tag}"
        self._ok(
            self.call(
                s,
                "unit",
                "POST",
                "/api/v1/units",
                {"code": unit, "name": "Township"},
                "org",
                f"unit:{unit}",
                "unit created",
            )
        )
        self._ok(
            self.call(
                s,
                "post",
                "POST",
                "/api/v1/posts",
                {
                    "code": post,
                    "unit": unit,
                    "title": "Head",
                    "rank": "section",
                    "category": "promotion",
                    "headcount": 2,
                },
                "org",
                f"post:{post}",
                "post created",
            )
        )
        self._ok(
            self.call(
                s,
                "cadre",
                "POST",
                "/api/v1/cadres",
                {"code": cadre, "name": f"Name {tag}", "unit": unit, "rank": "deputy_section", "grassroots_years": 5},
                "org",
                f"cadre:{cadre}",
                "cadre created",
            )
        )
        op = self.call(
            s,
            "selection",
            "POST",
            "/api/v1/selections",
            {
                "post": post,
                "vacancies": 1,
                "competitive": False,
                "motion": {"proposed_by": "Secretary Li", "reason": "vacancy"},
            },
            "org",
        )
        if not op.acked:
            return f"abandoned at selection ({op.final.status})"
        sel = op.result["id"]
        op.subject, op.matter = f"selection:{sel}", "selection opened"
        subject = op.subject
        if self._stop.is_set():
            return "stopped"

        def step(kind, path, body, matter, as_="org"):
            return self._ok(self.call(s, kind, "POST", path, body, as_, subject, matter))

        step(
            "qualification",
            f"/api/v1/selections/{sel}/qualification",
            {"conditions": {"min_rank": "clerk", "min_grassroots_years": 2}, "scope": [unit]},
            "selection qualified",
        )
        step(
            "consultation",
            f"/api/v1/selections/{sel}/consultations",
            {"source": "leader_in_charge", "opinion": "agreed"},
            "selection consulted",
        )
        step(
            "consultation",
            f"/api/v1/selections/{sel}/consultations",
            {"source": "grassroots", "opinion": "agreed"},
            "selection consulted",
        )
        op = step(
            "ballot_session",
            f"/api/v1/selections/{sel}/ballot-sessions",
            {"kind": "democratic", "electorate": 3, "seats": 1, "candidates": [cadre]},
            "ballot session opened",
        )
        if not op.acked:
            return "ballot session ambiguous"
        session, cast = op.result["id"], 0
        for token in op.result["tokens"]:
            ballot = self.call(s, "ballot", "POST", "/api/v1/ballots", {"token": token, "choices": [cadre]})
            cast += ballot.acked or ballot.already or ballot.cast_by_a_lost_delivery
        op = step("close", f"/api/v1/ballot-sessions/{session}/close", None, "ballot session closed")
        if op.acked:
            with self._lock:
                self.tallies.append((session, cast, op.result["cast"]))
        if cast < 3:
            return "ballots refused"
        step(
            "nomination",
            f"/api/v1/selections/{sel}/nominations",
            {
                "cadre": cadre,
                "basis": {"ballot_session": session},
                "disclosure": {"personal_matters_reported": True},
                "relations": [],
            },
            "nomination made",
        )
        step(
            "deliberation",
            f"/api/v1/selections/{sel}/deliberation",
            {"meeting": {"held_at": now_iso(), "place": "Room 3", "attendees": 9, "present": 7}, "nominees": [cadre]},
            "selection deliberated",
        )
        step(
            "inspection",
            f"/api/v1/selections/{sel}/inspection",
            {"reports": [{"cadre": cadre, "summary": "sound", "rating": 80}]},
            "selection inspected",
        )
        review = None
        deadline = time.monotonic() + 60
        while review is None and time.monotonic() < deadline and not self._stop.is_set():
            try:
                r = s.get(
                    f"{self.base}/api/v1/reviews",
                    params={"selection": sel},
                    headers={"Authorization": f"Bearer {self.tokens['org']}"},
                    timeout=self.request_timeout,
                )
                problem = r.headers.get("Content-Type", "").startswith("application/problem+json")
                self.saw(error_kind(r.status_code, r.json().get("code") if problem else None))
                items = r.json().get("items", []) if r.status_code == 200 else []
                review = items[0]["id"] if items else None
            except requests.RequestException as exc:
                self.saw(error_kind(type(exc).__name__))
            except ValueError:  # an answer that is not JSON: the gateway never sends one
                self.saw("reviews answer not JSON")
            if review is None:
                time.sleep(0.5)
        if review is None:
            return "no review yet"
        for department in DEPARTMENTS:
            step(
                "verdict",
                f"/api/v1/reviews/{review}/verdicts",
                {"verdict": "clear", "reason": "none found"},
                "review verdict given",
                as_=department,
            )
        return "verdicts given"


class Abandon(Exception):
    pass


# -- accounting ---------------------------------------------------------------------------------
def records_of(api, subject):
    r = api.get("/api/v1/records", as_="auditor", params={"subject": subject, "limit": 500})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def whole_log(api):
    entries, cursor = [], None
    while True:
        params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        r = api.get("/api/v1/records", as_="auditor", params=params, timeout=60)
        assert r.status_code == 200, r.text
        page = r.json()
        entries.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return entries


def account(api, workload, settle=90):
    """Counts of what the gateway acknowledged and what survived, in the records log and in each service."""
    acked = [op for op in workload.ops if op.acked]
    recorded = [op for op in acked if op.subject and op.matter]
    by_subject = collections.defaultdict(list)
    for op in recorded:
        by_subject[op.subject].append(op)

    def matches(entries, op):
        return sum(1 for e in entries if e["correlation_id"] == op.rid and e["matter"] == op.matter)

    # retried_twice: the first attempt took effect but its answer was lost (503 or no answer), and the
    # client's retry with the same Idempotency-Key took effect again (the gateway cannot tell whether a
    # timed-out RPC ran, so it releases the key). Reported apart from duplicates the suite made by itself.
    found, lost, duplicated, retried_twice = 0, [], [], []
    deadline = time.monotonic() + settle
    for subject, ops in by_subject.items():
        while True:
            entries = records_of(api, subject)
            counts = [matches(entries, op) for op in ops]
            if all(counts) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        for op, count in zip(ops, counts):
            if count == 0:
                lost.append((op.kind, op.subject, op.rid))
            elif count > 1 and op.retried:
                retried_twice.append((op.kind, op.subject, op.rid, count))
            elif count > 1:
                duplicated.append((op.kind, op.subject, op.rid, count))
            else:
                found += 1
    # in the services themselves
    missing_in_service = []
    for op in acked:
        if op.kind in ("unit", "cadre"):
            r = api.post(f"/api/v1/{op.kind}s", op.body, as_="org")
            if not (r.status_code == 409 and r.json().get("code") == "exists"):
                missing_in_service.append((op.kind, op.body["code"], r.status_code))
        elif op.kind == "post":
            if api.get(f"/api/v1/posts/{op.body['code']}", as_="org").status_code != 200:
                missing_in_service.append((op.kind, op.body["code"]))
        elif op.kind == "selection":
            r = api.get(f"/api/v1/selections/{op.result['id']}", as_="org")
            history = [h["stage"] for h in r.json().get("history", [])] if r.status_code == 200 else None
            if history is None or len(history) != len(set(history)):
                missing_in_service.append((op.kind, op.result["id"], history))
    reviews = {}
    for op in (op for op in acked if op.kind == "verdict"):
        selection = op.subject.split(":", 1)[1]
        if selection not in reviews:
            r = api.get("/api/v1/reviews", as_="org", params={"selection": selection})
            reviews[selection] = r.json()["items"] if r.status_code == 200 else []
        given = [rv for rv in reviews[selection] if (rv.get("verdicts") or {}).get(op.as_)]
        if len(given) != 1:
            missing_in_service.append(("verdict", selection, op.as_))
    wrong_tallies = [t for t in workload.tallies if t[1] != t[2]]
    # no event recorded twice anywhere in the log (a redelivery would repeat the same entry)
    log = whole_log(api)
    seen = collections.Counter(
        (e["subject"], e["matter"], e["occurred_at"], e["correlation_id"], e["result"]) for e in log
    )
    repeated = [k for k, n in seen.items() if n > 1]
    return {
        "acknowledged": len(acked),
        "recorded_acknowledged": len(recorded),
        "found": found,
        "lost": lost,
        "duplicated": duplicated,
        "retried_twice": retried_twice,
        "missing_in_service": missing_in_service,
        "wrong_tallies": wrong_tallies,
        "tallies": len(workload.tallies),
        "repeated_log_entries": repeated,
        "log_size": len(log),
        "already": sum(op.already for op in workload.ops),
        "unacknowledged": sum(
            not op.acked
            and not op.already
            and (op.final and (not isinstance(op.final.status, int) or op.final.status >= 500))
            for op in workload.ops
        ),
    }


def outage_latency(workload, bound):
    """Every 5xx and every failed attempt, with the slowest: a 503 must come back within ``bound``."""
    failures = [a for op in workload.ops for a in op.attempts if not isinstance(a.status, int) or a.status >= 500]
    slow = [a for a in failures if a.latency > bound]
    statuses = collections.Counter(str(a.status) for a in failures)
    every = sorted(a.latency for op in workload.ops for a in op.attempts)
    return {
        "attempts": len(every),
        "slowest_any_s": round(every[-1], 2) if every else 0.0,
        "p99_s": round(every[int(len(every) * 0.99) - 1], 3) if every else 0.0,
        "failed_attempts": len(failures),
        "by_status": dict(statuses),
        "slowest_s": round(max((a.latency for a in failures), default=0.0), 2),
        "over_bound": len(slow),
    }


def verify_log(suite, token):
    out = subprocess.run(
        [
            PYTHON,
            "-m",
            "services.records.verify",
            "--url",
            suite.base,
            "--token",
            token,
            "--state",
            str(suite.data_dir / "verify-state.json"),
        ],
        cwd=REPO,
        env=suite.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return out.returncode, (out.stdout + out.stderr).strip()


def settle_outbox(check, timeout=60):
    return eventually(check, timeout=timeout, interval=0.5)
