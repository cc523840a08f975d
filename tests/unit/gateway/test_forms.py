"""The console's forms become the JSON bodies of API.md, as a department would have written them."""

from gateway.web.forms import selection_body


def test_a_condition_left_blank_is_left_out_of_the_qualification():
    body = selection_body("qualification", {"min_rank": "deputy_section", "min_grassroots_years": "", "scope": "U1 U2"})
    assert body["conditions"] == {"min_rank": "deputy_section"}
    assert selection_body("qualification", {"min_rank": "", "min_grassroots_years": " "})["conditions"] == {}


def test_both_conditions_given_are_both_sent():
    body = selection_body("qualification", {"min_rank": "section", "min_grassroots_years": "3"})
    assert body["conditions"] == {"min_rank": "section", "min_grassroots_years": 3}


def test_zero_grassroots_years_is_a_condition_not_a_blank():
    assert selection_body("qualification", {"min_grassroots_years": "0"})["conditions"] == {"min_grassroots_years": 0}
