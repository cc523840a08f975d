"""A sealed sheet racing its stage's unseal, on the real database: the vendor's answer agrees with the unseal.

The unseal marks the stage closing, then reads the stage's sheets; a sheet is inserted, then looks for the
mark. When the unseal's read falls between the two, the unseal opens the sheet: the vendor must not then
be told 409 (and the sheet deleted), or a score would count from a sheet the record never received. These
tests run the two interleavings by hand, as two replicas of examination would, against nx-27017.
"""

import types
import uuid

import pytest

from services.common.clock import utcnow
from services.common.errors import Conflict
from services.examination import sheets, store
from services.examination.models import Campaign, Sheet
from tests.harness import scratch_database


@pytest.fixture(scope="module")
def database(suite):
    with scratch_database(suite, "race"):
        yield


@pytest.fixture
def campaign(database, tmp_path, monkeypatch):
    monkeypatch.setenv("CADRE_DATA_DIR", str(tmp_path))  # the test's own signing key for its envelopes
    code = f"C-{uuid.uuid4().hex[:8]}"
    Campaign(code=code, title="t", interview_ratio=2, not_before=utcnow(), threshold=2, public_key="k").save(
        force_insert=True
    )
    return code


def received(n=0):
    return types.SimpleNamespace(
        stage="written",
        examiner="V1",
        ciphertext=f"ct{n}",
        commitment=uuid.uuid4().hex,
        signature="sig",
        ciphertext_sha256="h",
    )


def envelope_of(sheet):
    return {"id": uuid.uuid4().hex, "type": "sheet.received", "source": "examination", "data": {"sheet": sheet.id}}


def submit_with_unseal_between(code, monkeypatch):
    """``add_sheet`` with the unseal's close and read run after the insert and before the re-check:
    (the vendor's outcome, the ids the unseal read)."""
    real, read = store.campaign, []

    def unseal_then_read(campaign_code, *fields):
        sheets.close_stage(campaign_code, "written")
        read.extend(s["id"] for s in sheets.sealed_sheets(campaign_code, "written"))
        return real(campaign_code, *fields)

    monkeypatch.setattr(store, "campaign", unseal_then_read)
    try:
        outcome = sheets.add_sheet(code, "V1", received(), utcnow(), envelope_of)
    except Conflict as refused:
        outcome = refused
    finally:
        monkeypatch.setattr(store, "campaign", real)
    return outcome, read


def test_a_sheet_the_unseal_read_is_kept_and_answered_as_kept(campaign, monkeypatch):
    outcome, read = submit_with_unseal_between(campaign, monkeypatch)
    # inserted before the unseal's read, the sheet is opened by it: it must stand, with its receipt
    # event, and the vendor must hear so
    assert not isinstance(outcome, Conflict), f"the unseal opened sheet {read} but the vendor heard 409"
    assert [s.id for s in Sheet.objects(campaign=campaign)] == read == [outcome.id]
    stored = Sheet._get_collection().find_one({"_id": outcome.id}, {"outbox": 1})
    assert [e for e in stored["outbox"] if "sheet.received" in e], "the opened sheet has no receipt event"


def test_a_sheet_after_the_unseals_read_is_refused_and_not_read(campaign):
    sheets.close_stage(campaign, "written")
    read = [s["id"] for s in sheets.sealed_sheets(campaign, "written")]
    with pytest.raises(Conflict) as refused:
        sheets.add_sheet(campaign, "V1", received(), utcnow(), envelope_of)
    assert refused.value.code == "already_unsealed"
    assert read == [] and Sheet.objects(campaign=campaign).count() == 0


def test_a_sheet_before_the_close_is_kept_and_read(campaign):
    sheet = sheets.add_sheet(campaign, "V1", received(), utcnow(), envelope_of)
    sheets.close_stage(campaign, "written")
    assert [s["id"] for s in sheets.sealed_sheets(campaign, "written")] == [sheet.id]


def test_an_unseal_that_failed_reopens_and_a_later_one_reads_every_sheet(campaign):
    first = sheets.add_sheet(campaign, "V1", received(1), utcnow(), envelope_of)
    sheets.close_stage(campaign, "written")
    sheets.reopen_stage(campaign, "written")
    second = sheets.add_sheet(campaign, "V1", received(2), utcnow(), envelope_of)
    sheets.close_stage(campaign, "written")
    assert sorted(s["id"] for s in sheets.sealed_sheets(campaign, "written")) == sorted([first.id, second.id])
