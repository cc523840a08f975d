"""Remembered facts: asked until found, then never again; absences never remembered; bounded."""

from services.common.facts import Remembered


def asking(answers):
    asked = []

    def find_all(keys):
        asked.append(sorted(keys))
        return {k: answers[k] for k in keys if k in answers}

    return asked, find_all


def test_a_found_fact_is_not_asked_again():
    facts, (asked, find_all) = Remembered(), asking({"a": 1, "b": 2})
    assert facts.among(["a", "b", "c"], find_all) == {"a": 1, "b": 2}
    assert facts.among(["a", "b"], find_all) == {"a": 1, "b": 2}
    assert asked == [["a", "b", "c"]]


def test_an_absence_is_asked_again_and_found_later():
    facts, answers = Remembered(), {}
    assert facts.get("u", lambda: answers.get("u")) is None
    answers["u"] = "key"  # created since
    assert facts.get("u", lambda: answers.get("u")) == "key"
    assert facts.get("u", lambda: None) == "key"  # remembered: not asked


def test_only_the_unknown_are_asked():
    facts, (asked, find_all) = Remembered(), asking({"a": 1, "b": 2})
    facts.learn({"a": 1})
    facts.among(["a", "b"], find_all)
    assert asked == [["b"]]


def test_past_its_limit_it_forgets_everything_and_asks_again():
    facts, (asked, find_all) = Remembered(limit=3), asking({k: k for k in "abcd"})
    facts.learn({"a": "a", "b": "b"})
    facts.learn({"c": "c", "d": "d"})
    assert facts.among(["a", "c"], find_all) == {"a": "a", "c": "c"}
    assert asked == [["a"]]
