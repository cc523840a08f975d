"""Command-line tools read a token that starts with a dash as the token, not as an option."""

from services.common.cli import glue_token_value
from services.examination.vendor import parser
from services.records.verify import parse_args


def test_a_token_starting_with_a_dash_is_its_value():
    assert glue_token_value(["submit", "--token", "-abc", "--campaign", "C"]) == [
        "submit",
        "--token=-abc",
        "--campaign",
        "C",
    ]
    assert glue_token_value(["--token"]) == ["--token"]  # argparse names the missing value


def test_both_tools_accept_it():
    assert (
        parser()
        .parse_args(glue_token_value(["submit", "--url", "u", "--token", "-x_Y", "--campaign", "C", "f.json"]))
        .token
        == "-x_Y"
    )
    assert parse_args(["--url", "u", "--token", "--9z"]).token == "--9z"


def test_the_vendor_tool_takes_the_token_from_the_environment(monkeypatch):
    monkeypatch.setenv("CADRE_TOKEN", "-from-env")
    assert parser().parse_args(["submit", "--url", "u", "--campaign", "C", "f.json"]).token == "-from-env"


def test_the_vendor_tool_refuses_to_submit_without_a_token(monkeypatch, capsys):
    from services.examination.vendor import main

    monkeypatch.delenv("CADRE_TOKEN", raising=False)
    assert main(["submit", "--url", "http://127.0.0.1:9", "--campaign", "C", "f.json"]) == 2
    assert "CADRE_TOKEN" in capsys.readouterr().err


def test_a_bad_argument_is_one_line_and_exit_2_and_examples_follow_the_options(capsys):
    import pytest
    from services.common.cli import Parser

    tool = Parser("tool", examples="\n  tool --size 3\n")
    tool.add_argument("--size", type=int)
    with pytest.raises(SystemExit) as exc:
        tool.parse_args(["--size", "three"])
    assert exc.value.code == 2
    assert capsys.readouterr().err == "error: argument --size: invalid int value: 'three' (see: tool --help)\n"
    assert tool.format_help().endswith("\nexamples:\n  tool --size 3\n")
    assert tool.prog == "tool"


def test_without_arguments_the_command_line_is_read(monkeypatch):
    monkeypatch.setattr("sys.argv", ["tool", "submit", "--token", "-abc"])
    assert glue_token_value() == ["submit", "--token=-abc"]


def test_only_the_blank_lines_around_the_examples_are_dropped():
    from services.common.cli import Parser

    tool = Parser("tool", examples="\n  tool --export XLSX\n")
    assert tool.format_help().endswith("\nexamples:\n  tool --export XLSX\n")
