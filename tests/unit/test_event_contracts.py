"""Every event a service acts on is one its producer's contract says it sends, and is read with that schema:
fields a later producer adds are passed over, a field the consumer needs that is missing is refused by name."""

import re
from pathlib import Path

import pytest
from nameko.events import EventHandler

from services.common.envelope import EventData, load_event, make_envelope
from services.common.errors import Invalid
from services.examination import contract as examination
from services.examination.service import ExaminationService
from services.nomination import contract as nomination
from services.nomination.service import NominationService
from services.records.service import RecordsService
from services.supervision import contract as supervision
from services.supervision.service import SupervisionService

SENT = {"nomination": nomination.SENT, "examination": examination.SENT, "supervision": supervision.SENT}
SERVICES = (NominationService, ExaminationService, SupervisionService, RecordsService)
ROOT = Path(__file__).resolve().parents[2] / "services"


def handled():
    """(consumer, source, event type) of every event handler of the four services."""
    found = []
    for service in SERVICES:
        for name in dir(service):
            for entrypoint in getattr(getattr(service, name), "nameko_entrypoints", ()):
                if isinstance(entrypoint, EventHandler):
                    found.append((service.name, entrypoint.source_service, entrypoint.event_type))
    return found


def test_the_services_act_on_events_of_each_other():
    assert {(c, s) for c, s, _ in handled()} >= {
        ("supervision", "nomination"),
        ("nomination", "supervision"),
        ("nomination", "examination"),
    }


@pytest.mark.parametrize("consumer,source,event_type", handled())
def test_every_handled_event_is_one_its_producer_sends(consumer, source, event_type):
    assert event_type in SENT[source], f"{consumer} waits for {source}'s {event_type}, which {source} never sends"


@pytest.mark.parametrize("source", ["nomination", "examination"])
def test_every_event_type_a_producer_writes_has_its_schema(source):
    """An event type written in the service's code but missing from SENT would reach consumers unchecked."""
    written = set()
    for path in (ROOT / source).rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'(?:envelope|_event)\(\s*"([a-z_]+\.[a-z_]+)"', text))
    assert written and written <= set(SENT[source]), written - set(SENT[source])


def envelope_of(data):
    return make_envelope("selection.opened", "nomination", "selection:s1", data)


OPENED = {
    "selection": "s1",
    "post": "P1",
    "mode": "org_recommendation",
    "competitive": False,
    "vacancies": 1,
    "key_leadership": True,
}


def test_a_field_the_producer_added_later_is_passed_over():
    _, data = load_event(envelope_of(dict(OPENED, added_later={"any": 1})), nomination.SelectionOpened)
    assert data == OPENED


def test_a_field_added_later_inside_a_nested_item_is_passed_over_too():
    inspected = {
        "selection": "s1",
        "post": "P1",
        "post_title": "Head",
        "key_leadership": False,
        "nominees": [{"cadre": "C1", "name": "Name", "photo": "added later"}],
    }
    envelope = make_envelope("selection.inspected", "nomination", "selection:s1", inspected)
    _, data = load_event(envelope, nomination.SelectionInspected)
    assert data["nominees"] == [{"cadre": "C1", "name": "Name"}]


@pytest.mark.parametrize("source", sorted(SENT))
def test_every_sent_schema_is_event_data(source):
    """Event data schemas pass over fields added later at every depth: each is an ``EventData``."""
    for event_type, schema in SENT[source].items():
        assert issubclass(schema, EventData), (source, event_type)
        for field in schema().fields.values():
            nested = getattr(getattr(field, "inner", field), "nested", None)
            assert nested is None or issubclass(nested, EventData), (source, event_type, field.name)


def test_a_field_the_producer_dropped_is_refused_by_name():
    with pytest.raises(Invalid) as refused:
        load_event(envelope_of({k: v for k, v in OPENED.items() if k != "key_leadership"}), nomination.SelectionOpened)
    assert "key_leadership" in refused.value.errors


def test_the_consumer_checks_what_the_producer_only_dumps():
    """A bus message is signed but its data still gets the producer's rules when loaded (dumping checks none)."""
    with pytest.raises(Invalid) as refused:
        load_event(envelope_of(dict(OPENED, selection="x" * 65)), nomination.SelectionOpened)
    assert "selection" in refused.value.errors
    closed = make_envelope(
        "notice.closed",
        "supervision",
        "selection:s1",
        {"notice": "n1", "selection": "s1", "outcome": "maybe", "revision": 1, "pending": 0, "upheld": 0},
    )
    with pytest.raises(Invalid) as refused:
        load_event(closed, supervision.NoticeClosed)
    assert "outcome" in refused.value.errors
