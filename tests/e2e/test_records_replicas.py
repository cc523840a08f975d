"""Manual entries with two records processes: the firehose has one writer, and whichever process took the RPC
answers with the entry as appended, whether its own writer appended it (handed over, no read) or the other's
(looked up)."""

import uuid

import pytest

from tests.harness import ReplicatedSuite, entrypoint_runs


@pytest.fixture(scope="module")
def suite():
    running = ReplicatedSuite(("records",))
    try:
        running.start()
        running.api.principal("org", "org")
        running.api.principal("auditor", "auditor")
        yield running
    finally:
        running.stop()


def test_each_manual_entry_is_answered_as_the_log_holds_it_whichever_replica_took_it(suite):
    subject = f"unit:U-{uuid.uuid4().hex[:8]}"
    answers = []
    for n in range(12):  # the RPC queue alternates between the two processes; one of them is the writer
        body = {
            "subject": subject,
            "stage": "motion",
            "place": "Room 3",
            "responsible": "Secretary Li",
            "matter": f"consultation {n}",
            "result": "agreed",
        }
        r = suite.api.post("/api/v1/records", body, as_="org")
        assert r.status_code == 201, r.text
        answers.append(r.json())
    listed = suite.api.get("/api/v1/records", as_="auditor", params={"subject": subject, "limit": 50}).json()
    by_seq = {entry["seq"]: entry for entry in listed["items"]}
    assert [a["matter"] for a in answers] == [f"consultation {n}" for n in range(12)]
    assert all(by_seq[a["seq"]] == a for a in answers)
    served = [entrypoint_runs(suite, "records", "append_manual", replica) for replica in (1, 2)]
    assert all(served), f"one process answered every manual entry: {served}"
