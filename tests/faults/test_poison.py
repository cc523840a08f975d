"""Poison in a service's own event handler (not only the records firehose): an event supervision can never
handle is retried a bounded number of times, then dead-lettered, and the valid event behind it on the same
queue is handled meanwhile; the retry and dead-letter counters move."""

import json
import re
import subprocess
import uuid

import pytest
import requests

from tests.e2e.test_nomination_support import publish
from tests.harness import PYTHON, REPO, Suite, eventually

pytestmark = pytest.mark.slow
MAX_ATTEMPTS = 3


@pytest.fixture(scope="module")
def suite():
    running = Suite(EVENT_MAX_ATTEMPTS=MAX_ATTEMPTS, LOG_LEVEL="WARNING").start()
    running.api.principal("org", "org")
    try:
        yield running
    finally:
        running.stop()


def counter(suite, name, **labels):
    text = requests.get(f"http://127.0.0.1:{suite.ports['SUPERVISION_METRICS_PORT']}/metrics", timeout=10).text
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{name}{{(.*)}} ([0-9.e+-]+)$", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            total += float(match.group(2))
    return total


def deadletters(suite):
    out = subprocess.run(
        [PYTHON, "-m", "services.common.deadletters", "list", "--limit", "500"],
        cwd=REPO,
        env=suite.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def inspected(selection, cadre):
    return {
        "selection": selection,
        "post": "P-1",
        "post_title": "Head",
        "key_leadership": False,
        "nominees": [{"cadre": cadre, "name": "Name"}],
    }


def test_a_poison_event_in_a_service_handler_is_dead_lettered_after_bounded_attempts(suite):
    labels = {"service": "supervision", "type": "selection.inspected"}
    retried = counter(suite, "cadre_events_retried_total", **labels)
    dead = counter(suite, "cadre_events_dead_lettered_total", **labels)
    good, bad = uuid.uuid4().hex[:24], uuid.uuid4().hex[:24]
    for sel in (good, bad):
        publish(
            suite,
            "nomination",
            "selection.opened",
            f"selection:{sel}",
            {
                "selection": sel,
                "post": "P-1",
                "mode": "democratic_recommendation",
                "competitive": False,
                "vacancies": 1,
                "key_leadership": False,
            },
        )
    # nominees must be a list: the handler fails on this every time it sees it
    poison = publish(
        suite,
        "nomination",
        "selection.inspected",
        f"selection:{bad}",
        dict(inspected(bad, "C-1"), nominees="not-a-list"),
        malformed=True,
    )
    publish(suite, "nomination", "selection.inspected", f"selection:{good}", inspected(good, "C-2"))

    def review_of_good():
        r = suite.api.get("/api/v1/reviews", as_="org", params={"selection": good})
        return r.status_code == 200 and len(r.json()["items"]) == 1

    eventually(review_of_good, timeout=60)
    mine = eventually(lambda: [d for d in deadletters(suite) if d.get("id") == poison["id"]], timeout=60)
    # retries go to the tail of the handler's own queue, so the dead letter names that queue: a replay
    # goes back to this handler only, not to every consumer of the type
    assert mine[0]["type"] == "selection.inspected"
    assert (
        mine[0]["queue"]
        == mine[0]["routing_key"]
        == "evt-nomination-selection.inspected--supervision.on_selection_inspected"
    )
    assert counter(suite, "cadre_events_retried_total", **labels) - retried == MAX_ATTEMPTS - 1
    assert counter(suite, "cadre_events_dead_lettered_total", **labels) - dead == 1
    r = suite.api.get("/api/v1/reviews", as_="org", params={"selection": bad})
    assert r.status_code == 200 and r.json()["items"] == []
