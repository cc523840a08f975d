"""The README's configuration table lists every setting the code reads."""

from pathlib import Path

from services.common.config import SETTINGS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_in_the_readme():
    missing = [name for name, _, _ in SETTINGS if f"`{name}`" not in README]
    assert missing == []


def test_the_two_commands_are_there():
    assert "make run" in README and "make test" in README
